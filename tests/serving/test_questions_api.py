"""/predict with `"questions": true`: each question's answers are what /predict answers for the filled-in lead."""

from __future__ import annotations

ASKABLE = {"need", "purchase_timeline", "budget", "decision_authority"}


def test_questions_carry_what_predict_answers_for_each_filled_in_lead(client, sample_leads):
    body = client.post("/predict", json={"leads": sample_leads, "questions": True}).json()
    results = body["results"]
    questions = [(i, q) for i, r in enumerate(results) for q in r["questions"]]
    assert {q["field"] for _, q in questions} <= ASKABLE  # never personal data, never another field
    assert any(q["field"] == "budget" for _, q in questions)
    filled = [{**sample_leads[i], q["field"]: a["value"]} for i, q in questions for a in q["answers"]]
    direct = client.post("/predict", json={"leads": filled}).json()["results"]
    offered = [a for _, q in questions for a in q["answers"]]
    assert [(a["probability"], a["score"], a["band"]) for a in offered] == [
        (r["probability"], r["score"], r["band"]) for r in direct]
    for i, question in questions:
        lead = sample_leads[i]
        assert lead[question["field"]] in (None, "unknown")
        moved = [a for a in question["answers"] if a["band"] != results[i]["band"]
                 or abs(a["probability"] - results[i]["probability"]) > 0.05]
        assert moved and question["crosses_band"] == any(a["band"] != results[i]["band"] for a in question["answers"])


def test_questions_only_when_asked_and_in_chinese(client, sample_leads):
    plain = client.post("/predict", json={"leads": sample_leads[:5]}).json()["results"]
    assert all("questions" not in r for r in plain)
    zh = client.post("/predict", json={"leads": sample_leads, "questions": True, "lang": "zh"}).json()["results"]
    texts = [q["text"] for r in zh for q in r["questions"]]
    assert texts and all(t.startswith("询问") for t in texts)
    known = {**sample_leads[0], "need": "high", "purchase_timeline": "now", "budget": "low",
             "decision_authority": "no"}
    assert client.post("/predict", json={"leads": [known], "questions": True}).json()["results"][0]["questions"] == []


def test_questions_must_be_a_boolean(client, sample_leads):
    answer = client.post("/predict", json={"leads": sample_leads[:1], "questions": "yes"})
    assert answer.status_code in (400, 422)
    assert answer.json()["detail"][0]["loc"][-1] == "questions"


def test_the_openapi_document_describes_the_questions(client, sample_leads):
    import jsonschema
    from openapi_schema_validator import OAS30Validator  # the document is OpenAPI 3.0: `nullable`, not null types

    def validate(instance, schema):
        OAS30Validator(schema).validate(instance)

    doc = client.get("/docs.json").json()
    predict = doc["paths"]["/predict"]["post"]
    assert predict["requestBody"]["content"]["application/json"]["schema"]["properties"]["questions"]["type"] \
        == "boolean"
    schema = predict["responses"]["200"]["content"]["application/json"]["schema"]
    body = client.post("/predict", json={"leads": sample_leads, "questions": True}).json()
    assert any(r["questions"] for r in body["results"])
    validate(body, {**schema, "components": doc["components"]})
    wrong = {**body, "results": [{**body["results"][0], "questions": [{"field": "budget"}]}]}
    try:
        validate(wrong, {**schema, "components": doc["components"]})
    except jsonschema.ValidationError as error:
        assert "required" in error.message
    else:
        raise AssertionError("a question without its answers passed the document's schema")


def test_the_questions_offered_reach_the_prediction_log(client, sample_leads, service_env):
    import os
    import time

    import sqlalchemy as sa

    body = client.post("/predict", json={"leads": sample_leads, "questions": True},
                       headers={"X-Request-ID": "asked-1"}).json()
    expected = sorted((r["lead_id"], q["field"], rank) for r in body["results"]
                      for rank, q in enumerate(r["questions"], start=1))
    assert expected
    engine = sa.create_engine(os.environ["LEADSCORE_PREDICTION_DB"])
    query = sa.text("select lead_id, field, rank from offered_questions where prediction_key like 'asked-1:%'")
    deadline = time.monotonic() + 30
    try:
        while True:  # the log is written once a second
            with engine.connect() as connection:
                found = sorted(tuple(r) for r in connection.execute(query)) \
                    if sa.inspect(connection).has_table("offered_questions") else []
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.3)
    finally:
        engine.dispose()
    assert found == expected


def test_the_service_config_can_answer_questions_by_default(service_env, app_factory, model_ready, tmp_path,
                                                            sample_leads):
    from starlette.testclient import TestClient

    config = tmp_path / "service.yaml"
    config.write_text("questions: true\n")
    service_env.setenv("LEADSCORE_SERVICE_CONFIG", str(config))
    with TestClient(app_factory()) as client:
        model_ready(client)
        default = client.post("/predict", json={"leads": sample_leads}).json()["results"]
        off = client.post("/predict", json={"leads": sample_leads, "questions": False}).json()["results"]
    assert all("questions" in r for r in default) and any(r["questions"] for r in default)
    assert all("questions" not in r for r in off)
