"""The service in-process (real BentoML app, lifespan and middleware): behaviour, errors, log, auth."""

import json
import re
import threading

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from mlflow.tracking import MlflowClient
from starlette.testclient import TestClient


def predict(client, leads, **extra):
    return client.post("/predict", json={"leads": leads, **extra})


def test_one_lead_gets_score_band_reasons_action_and_rule_score(client, sample_leads):
    response = predict(client, sample_leads[:1])
    assert response.status_code == 200, response.text
    body = response.json()
    result = body["results"][0]
    assert result["lead_id"] == sample_leads[0]["lead_id"]
    assert result["source"] == "model" and result["model_version"] == "1" and result["fallback_reason"] is None
    assert 0 < result["probability"] < 1 and result["score"] == round(result["probability"] * 100)
    assert result["band"] in {"hot", "warm", "cold"}
    assert result["action"]["band"] == result["band"] and result["action"]["text"]
    reasons = result["reasons"]["positive"] + result["reasons"]["negative"]
    assert reasons and all({"feature", "value", "impact", "text"} <= set(r) for r in reasons)
    assert all(r["impact"] > 0 for r in result["reasons"]["positive"])
    assert all(r["impact"] < 0 for r in result["reasons"]["negative"])
    assert isinstance(result["rule_score"], float) and "rule_reasons" in result
    # created_at is no feature, but follow_up_by counts from it: not an ignored field
    assert set(body["unknown_fields"]) == {"contact_name", "email", "phone", "hours_to_first_response"}
    assert body["request_id"]


def test_served_probability_equals_training_pipeline(client, registry, sample_leads):
    _, trained = registry
    results = predict(client, sample_leads).json()["results"]
    expected = trained.pipeline.predict_proba(pd.DataFrame(sample_leads))[:, 1]
    np.testing.assert_allclose([r["probability"] for r in results], expected, atol=1e-6)


def test_chinese_reasons_and_actions(client, sample_leads):
    result = predict(client, sample_leads[:1], lang="zh").json()["results"][0]
    texts = [r["text"] for r in result["reasons"]["positive"] + result["reasons"]["negative"]]
    assert texts and all("评分" in t for t in texts)
    assert not [t for t in texts if re.search(r"[A-Za-z_]{3,}", t)], texts  # fields and values named in Chinese
    english = predict(client, sample_leads[:1], lang="en").json()["results"][0]["reasons"]
    assert [r["feature"] for r in english["positive"]] == [r["feature"] for r in result["reasons"]["positive"]]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r["label"]) for r in result["reasons"]["positive"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result["action"]["text"])


def test_original_names_unseen_values_and_batches(client, sample_leads):
    lead = dict(sample_leads[0], channel="carrier pigeon")  # a value never seen in training
    batch = [lead] + sample_leads[1:] * 20  # 981 leads
    response = predict(client, batch)
    assert response.status_code == 200
    assert len(response.json()["results"]) == len(batch)
    assert response.json()["results"][0]["source"] == "model"


def test_sparse_lead_falls_back_to_rules(client):
    result = predict(client, [{"lead_id": "x", "need": "high", "budget": "high", "decision_authority": "yes",
                               "purchase_timeline": "now"}]).json()["results"][0]
    assert result["source"] == "rules" and result["fallback_reason"] == "too_many_missing_features"
    assert result["probability"] is None and result["score"] == 100 and result["band"] == "hot"
    assert result["reasons"]["positive"][0]["text"] == "Need is high"


@pytest.mark.parametrize("body, status, where", [
    (b'{"leads": [', 400, []),                               # malformed JSON
    (b"", 400, ["leads"]),                                   # empty body
    (b'{"leads": []}', 400, ["leads"]),                       # no lead
    (b'{"leads": {"need": "high"}}', 400, ["leads"]),         # not a list
    (b'{"leads": [{"need": [1, 2]}]}', 400, ["leads", 0, "need"]),  # wrong type
    (b'{"leads": [{"need": "high"}], "lang": "fr"}', 400, ["lang"]),
    (b'{"leads": [{"website_visits": "lots"}]}', 422, ["leads", 0, "website_visits"]),
])
def test_bad_input_is_a_4xx_naming_the_field(client, body, status, where):
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert any(d["loc"][:len(where)] == where for d in detail), detail


def test_too_many_leads(client, sample_leads):
    response = predict(client, (sample_leads * 21)[:1001])
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["leads"]


def test_model_endpoint_describes_the_model(client, registry):
    info = client.get("/model").json()
    assert info["status"] == "model" and info["version"] == "1" and info["name"] == "synthetic"
    assert info["metrics"]["lightgbm"]["roc_auc"] > 0.7 and "rules" in info["metrics"]
    assert "purchase_timeline" in info["features"] and "email" not in info["features"]
    assert info["bands"]["hot"] > info["bands"]["warm"] and info["data_window"]


def test_health_endpoints(client):
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert "/predict" in client.get("/docs.json").json()["paths"]


def test_prediction_log_records_every_lead_without_personal_data(client, service_env, tmp_path, sample_leads):
    predict(client, sample_leads[:5])
    predict(client, [{"need": "high"}])

    engine = sa.create_engine(f"sqlite:///{tmp_path}/predictions.db")
    for _ in range(50):  # the writer thread batches every 0.2 s
        with engine.connect() as connection:
            rows = connection.execute(sa.text("select * from predictions")).mappings().all()
        if len(rows) == 6:
            break
        threading.Event().wait(0.1)
    assert len(rows) == 6
    assert {r["source"] for r in rows} == {"model", "rules"}
    assert rows[0]["lead_id"] == sample_leads[0]["lead_id"] and rows[0]["model_version"] == "1"
    logged = " ".join(r["inputs"] for r in rows)
    assert "@example.com" not in logged and "+1 555" not in logged
    assert not {"email", "phone", "contact_name"} & set().union(*(json.loads(r["inputs"]) for r in rows))


def test_failing_log_never_fails_a_prediction_and_recovers(service_env, app_factory, sample_leads, tmp_path,
                                                           scorer_ready):
    later = tmp_path / "not-yet"  # the database's folder is missing at start: a start-up error
    service_env.setenv("LEADSCORE_PREDICTION_DB", f"sqlite:///{later}/predictions.db")
    with TestClient(app_factory()) as client:
        scorer_ready(client)
        assert predict(client, sample_leads[:3]).status_code == 200
        counters = client.get("/model").json()["prediction_log"]
        for _ in range(50):
            counters = client.get("/model").json()["prediction_log"]
            if counters["spooled"] == 3:
                break
            threading.Event().wait(0.1)
        assert counters["startup_errors"] == 1 and counters["spooled"] == 3 and counters["written"] == 0
        later.mkdir()  # the disk is back: the spooled rows are written, tables created on the way
        for _ in range(300):  # the retry backoff reaches a few seconds while the folder is missing
            counters = client.get("/model").json()["prediction_log"]
            if counters["written"] == 3:
                break
            threading.Event().wait(0.1)
        assert counters["written"] == 3 and counters["failed"] == 0
    engine = sa.create_engine(f"sqlite:///{later}/predictions.db")
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from predictions")).scalar() == 3


def test_bearer_token(service_env, app_factory, sample_leads, model_ready):
    service_env.setenv("LEADSCORE_API_TOKEN", "s3cret")
    with TestClient(app_factory()) as client:
        model_ready(client)
        assert predict(client, sample_leads[:1]).status_code == 401
        assert client.get("/model").status_code == 401
        assert client.post("/reload", json={}).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert client.post("/predict", json={"leads": sample_leads[:1]}, headers=wrong).status_code == 401
        good = {"Authorization": "Bearer s3cret"}
        assert client.post("/predict", json={"leads": sample_leads[:1]}, headers=good).status_code == 200
        assert client.get("/model", headers=good).status_code == 200
        assert client.get("/livez").status_code == 200 and client.get("/readyz").status_code == 200


def test_no_model_starts_on_rules_then_recovers(service_env, app_factory, registry, tmp_path, sample_leads,
                                                 scorer_ready):
    uri, trained = registry
    config = tmp_path / "service.yaml"
    config.write_text("retry_seconds: 0.3\n")
    service_env.setenv("LEADSCORE_SERVICE_CONFIG", str(config))
    service_env.setenv("LEADSCORE_MODEL_URI", "models:/leadscore-late@champion")  # not registered yet
    with TestClient(app_factory()) as client:
        assert client.get("/readyz").status_code == 503
        scorer_ready(client)
        result = predict(client, sample_leads[:1]).json()["results"][0]
        assert result["source"] == "rules" and result["fallback_reason"] == "model_unavailable"
        assert client.get("/model").json()["status"] == "rules"

        mlflow_client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        mlflow_client.create_registered_model("leadscore-late")
        source = mlflow_client.get_model_version("leadscore-synthetic", "1").source
        version = mlflow_client.create_model_version("leadscore-late", source, run_id=trained.run_id)
        mlflow_client.set_registered_model_alias("leadscore-late", "champion", version.version)
        for _ in range(100):
            if client.get("/readyz").status_code == 200:
                break
            threading.Event().wait(0.1)
        assert client.get("/readyz").status_code == 200
        assert predict(client, sample_leads[:1]).json()["results"][0]["source"] == "model"


def test_broken_model_falls_back_per_lead(client, sample_leads, monkeypatch):
    from training.model.classifier import LeadClassifier

    def broken(self, X):
        raise RuntimeError("corrupt booster")

    monkeypatch.setattr(LeadClassifier, "contributions", broken)
    response = predict(client, sample_leads[:3])
    assert response.status_code == 200
    assert {r["fallback_reason"] for r in response.json()["results"]} == {"model_error"}
    assert client.get("/model").json()["counters"]["fallbacks"]["model_error"] == 3
    assert client.get("/readyz").status_code == 200  # 3 failures in a row: not yet called failing
    predict(client, sample_leads[3:5])
    assert client.get("/readyz").status_code == 503 and client.get("/model").json()["status"] == "failing"


def test_reload_swaps_the_champion_without_failing_requests(client, registry, sample_leads):
    uri, trained = registry
    mlflow_client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    source = mlflow_client.get_model_version("leadscore-synthetic", "1").source
    new = mlflow_client.create_model_version("leadscore-synthetic", source, run_id=trained.run_id)
    statuses, versions = [], set()

    def hammer():
        for _ in range(15):
            response = predict(client, sample_leads[:2])
            statuses.append(response.status_code)
            versions.update(r["model_version"] for r in response.json()["results"])

    try:
        mlflow_client.set_registered_model_alias("leadscore-synthetic", "champion", new.version)
        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for thread in threads:
            thread.start()
        reload = client.post("/reload", json={})
        for thread in threads:
            thread.join()
        assert reload.status_code == 200 and reload.json()["reloaded"] and reload.json()["version"] == str(new.version)
        assert set(statuses) == {200}
        assert versions <= {"1", str(new.version)}
        assert predict(client, sample_leads[:1]).json()["results"][0]["model_version"] == str(new.version)
    finally:
        mlflow_client.set_registered_model_alias("leadscore-synthetic", "champion", "1")


def test_stopping_the_service_writes_every_queued_log_row(app_factory, tmp_path, sample_leads, scorer_ready):
    with TestClient(app_factory()) as client:
        scorer_ready(client)
        for _ in range(5):
            assert predict(client, sample_leads[:10]).status_code == 200
    # leaving the block runs the shutdown hook at once, well inside the writer's one-second batch
    engine = sa.create_engine(f"sqlite:///{tmp_path}/predictions.db")
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from predictions")).scalar() == 50
