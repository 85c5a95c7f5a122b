"""The served contract of a real `leadscore serve` on every input: numbers are finite or refused with a
field message, answers are strict JSON, and no value that was sent comes back in an error or reaches
the service's output and logs."""

from __future__ import annotations

import json
import sqlite3
import time

import httpx
import pytest

from features.context import computed_fields

pytestmark = pytest.mark.slow
MARKER = "ZQXmarkerQZX"  # no digits or hex: nothing the server writes by itself can contain it


def strict_json(text: str):
    """RFC 8259 JSON only: NaN, Infinity and -Infinity are refused."""

    def refuse(token: str):
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def post(server, body, **headers) -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{server.base}/predict", content=data, timeout=30,
                      headers={**server.headers, "content-type": "application/json", **headers})


def numeric_fields(registry) -> list[str]:
    """The numeric fields a client sends (not those the service computes from the lead's activities)."""
    pipeline = registry[1].pipeline
    encoder, computed = pipeline.named_steps["encode"], computed_fields(pipeline)
    return [name for name, numeric in zip(encoder.display_names_, encoder.is_numeric_, strict=True)
            if numeric and name not in computed]


def test_fields_the_service_computes_and_bad_activities_are_refused_by_field_without_the_value(
        shared_server, registry, sample_leads):
    computed = sorted(computed_fields(registry[1].pipeline))
    assert computed, "the default spec's model computes engagement features from activities"
    lead = sample_leads[0]
    for field in computed[:3]:
        error = strict_json(post(shared_server, {"leads": [{**lead, field: 3}]}).text)
        assert error["detail"][0]["loc"] == ["leads", 0, field], error
        assert "the service computes it" in error["error"]
        # a joined column names its lookup and the key to send; an engagement feature, the activities
        assert ("joined by the lead's 'account_id'; leave it out and send 'account_id'" in error["error"]) == \
            field.startswith("account"), error
        assert ("send the lead's activities" in error["error"]) != field.startswith("account"), error
    good = {"at": "2026-03-31T14:05:00Z", "type": "email open", "channel": "email"}
    for activities, where in [(MARKER, ["leads", 0, "activities"]), (7, ["leads", 0, "activities"]),
                              ([{**good, "at": MARKER}], ["leads", 0, "activities", 0]),
                              ([{**good, "at": 12}], ["leads", 0, "activities", 0]),
                              ([{**good, "at": "Jan"}], ["leads", 0, "activities", 0]),  # was a 500
                              ([{**good, "at": "now"}], ["leads", 0, "activities", 0]),  # pandas reads it
                              ([{**good, "type": 5}], ["leads", 0, "activities", 0, "type"]),
                              ([{"type": "email open"}], ["leads", 0, "activities", 0])]:
        response = post(shared_server, {"leads": [{**lead, "activities": activities}]})
        assert response.status_code == 422, (activities, response.text)
        error = strict_json(response.text)
        assert error["detail"][0]["loc"] == where and MARKER not in response.text, error
        assert "expected" in error["error"] and "send" in error["error"], error
    late = post(shared_server, {"leads": [{**lead, "activities": [good], "as_of": "12:00"}]})
    assert late.status_code == 422 and strict_json(late.text)["detail"][0]["loc"] == ["leads", 0, "as_of"], late.text
    answer = post(shared_server, {"leads": [{**lead, "activities": [good], "as_of": "2026-04-01T00:00:00Z"}]})
    assert answer.status_code == 200 and answer.json()["results"][0]["source"] == "model", answer.text


def logged_request_ids(server, wait_for: str) -> set[str]:
    """Request ids in the prediction log once `wait_for`'s row is there (the writer inserts once a second)."""
    deadline = time.monotonic() + 30
    while True:
        with sqlite3.connect(server.folder / "predictions.db") as connection:
            ids = {row[0] for row in connection.execute("select request_id from predictions")}
        if wait_for in ids or time.monotonic() > deadline:
            return ids
        time.sleep(0.2)


def test_non_finite_numbers_are_refused_with_the_field_and_answers_are_strict_json(shared_server, registry,
                                                                                    sample_leads):
    server = shared_server
    lead = sample_leads[0]
    refused = []
    for field in numeric_fields(registry):
        for text in ("Infinity", "inf", "-inf", "-1e400", "1e309", "NaN", "nan", "1_000", "9" * 16, "0x10", "abc",
                     "2e15", 1.7976931348623157e308, -1e16):
            response = post(server, {"leads": [{**lead, field: text}]})
            assert response.status_code == 422, (field, text, response.text)
            error = strict_json(response.text)
            assert error["detail"][0]["loc"] == ["leads", 0, field]
            assert f"field {field!r} of lead 1: expected a finite number from -1e15 to 1e15" in error["error"]
            refused.append(error["request_id"])
    for token in (b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400", b"9" * 400):
        body = b'{"leads": [{"lead_id": "L1", "website_visits": ' + token + b'}]}'
        response = post(server, body)
        assert response.status_code == 400, (token, response.text)
        error = strict_json(response.text)
        assert error["detail"][0]["loc"] == ["leads", 0, "website_visits"], error
        assert error["error"].startswith("leads[0].website_visits: expected a")
        assert "finite" in error["error"] or "64-bit float" in error["error"]
        refused.append(error["request_id"])
    response = post(server, b'{"leads": [{"need": "high"}], "reasons": Infinity}')
    assert response.status_code == 400 and strict_json(response.text)["detail"][0]["loc"] == ["reasons"]

    # Numbers a CRM sends as text, booleans and blanks are read; every answer is finite and in range.
    forms = [{field: value for field in numeric_fields(registry)}
             for value in (" 12 ", "3.5e1", "-.5", "", True, 0, 1e15, -1e15, "-999999999999999.5", "9.5e14")]
    response = post(server, {"leads": [{**lead, **form} for form in forms]})
    assert response.status_code == 200, response.text
    answer = strict_json(response.text)
    for result in answer["results"]:
        assert result["source"] == "model" and 0 <= result["probability"] <= 1 and 0 <= result["score"] <= 100
        assert result["band"] in ("hot", "warm", "cold")
    ids = logged_request_ids(server, answer["request_id"])
    assert answer["request_id"] in ids and not ids & set(refused)  # refused requests leave no log row
    for route in ("/model", "/livez", "/readyz"):
        response = httpx.get(server.base + route, headers=server.headers, timeout=10)
        assert response.status_code == 200
        if route == "/model":
            strict_json(response.text)
    strict_json(httpx.post(f"{server.base}/reload", json={}, headers=server.headers, timeout=60).text)


def test_no_value_sent_comes_back_in_an_error_or_reaches_the_logs(shared_server, registry, sample_leads):
    server = shared_server
    numeric = numeric_fields(registry)
    every = {field: MARKER for field in sample_leads[0]}  # the id, personal data, text and numbers
    # The creation time stays a date: it is read for follow_up_by, and a non-date there is a 422 of its own
    # (checked below among the refused fields, where the marker must not come back either).
    dated = {"created_at"}
    text_only = {**sample_leads[0], **{f: MARKER for f, v in sample_leads[0].items() if f not in {*numeric, *dated}}}
    bodies = [  # (body, where the 4xx must point)
        ({"leads": [every]}, None),
        *(({"leads": [{**text_only, field: MARKER}]}, ["leads", 0, field]) for field in numeric),
        ({"leads": [text_only], "lang": MARKER}, ["lang"]),
        ({"leads": [text_only], "reasons": MARKER}, ["reasons"]),
        ({"leads": [{**text_only, "need": [MARKER]}]}, ["leads", 0, "need"]),
        ({"leads": [{**text_only, "need": {"x": MARKER}}]}, ["leads", 0, "need"]),
        ({"leads": [{**text_only, "need": MARKER * 100}]}, ["leads", 0, "need"]),
        ({"leads": [{**text_only, "created_at": MARKER}]}, ["leads", 0, "created_at"]),
        ({"leads": [text_only] * 1001}, ["leads"]),
        ({"leads": MARKER}, ["leads"]),
        ({"leads": [MARKER]}, ["leads", 0]),
        (MARKER, ["body"]),
    ]
    for body, where in bodies:
        response = post(server, body)
        assert 400 <= response.status_code < 500, (where, response.text[:300])
        error = strict_json(response.text)
        assert MARKER not in response.text, response.text[:500]
        assert error["error"] and error["detail"][0]["msg"] == error["error"]
        if where is not None:
            assert error["detail"][0]["loc"] == where, error
        assert "expected" in error["error"] and "send" in error["error"], error["error"]
    # Answered leads carry the marker in every text field: their values never reach a log line either.
    answered = post(server, {"leads": [text_only, {**text_only, "lead_id": MARKER}]})
    assert answered.status_code == 200, answered.text
    assert {r["source"] for r in strict_json(answered.text)["results"]} == {"model"}
    logged_request_ids(server, answered.json()["request_id"])

    output = server.output() + "".join(p.read_text(errors="replace") for p in server.folder.rglob("*.log"))
    assert "POST /predict 422" in output and "fields=leads.0." in output
    assert MARKER not in output


def test_the_served_openapi_document_is_valid_as_the_version_it_declares(shared_server, tmp_path):
    from openapi_spec_validator import OpenAPIV30SpecValidator, validate
    from openapi_spec_validator.readers import read_from_filename

    response = httpx.get(f"{shared_server.base}/docs.json", timeout=30)
    assert response.status_code == 200
    path = tmp_path / "docs.json"
    path.write_bytes(response.content)
    spec, _ = read_from_filename(str(path))  # the validator's own reader (YAML): no escapes it refuses
    assert spec == strict_json(response.text) and spec["openapi"].startswith("3.0.")
    validate(spec)  # picks the validator of the declared version
    assert [error.message for error in OpenAPIV30SpecValidator(spec).iter_errors()] == []

    predict = spec["paths"]["/predict"]["post"]
    answer = predict["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["results"]["items"]
    probability, score = answer["properties"]["probability"], answer["properties"]["score"]
    assert (probability["type"], probability["minimum"], probability["maximum"]) == ("number", 0, 1)
    assert (score["type"], score["minimum"], score["maximum"]) == ("integer", 0, 100)
    assert set(answer["properties"]["band"]["enum"]) == {"hot", "warm", "cold", None}
    lead = predict["requestBody"]["content"]["application/json"]["schema"]["properties"]["leads"]["items"]
    assert "pattern" in json.dumps(lead["properties"]["website_visits"])  # numbers as the encoder reads them


def test_a_client_generated_from_the_document_scores_a_lead(shared_server, registry, sample_leads, tmp_path):
    import subprocess
    import sys

    import numpy as np
    import pandas as pd
    from servers import TOKEN

    config = tmp_path / "generator.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: the code is only imported
    package = tmp_path / "client" / "leadscore_client"
    run = subprocess.run([sys.executable, "-m", "openapi_python_client", "generate", "--url",
                          f"{shared_server.base}/docs.json", "--meta", "none", "--output-path", str(package),
                          "--config", str(config)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and (package / "client.py").is_file(), run.stdout + run.stderr
    warnings = [line for line in run.stdout.splitlines() if line.startswith("WARNING")]
    assert all("/favicon.ico" in line for line in warnings), run.stdout  # an SVG answer it does not model

    sys.path.insert(0, str(package.parent))
    try:
        from leadscore_client import AuthenticatedClient
        from leadscore_client.api.default import model_info
        from leadscore_client.api.service_ap_is import predict
        from leadscore_client.models import ErrorBody, PredictBody, PredictBodyLeadsItem, PredictResponse200

        client = AuthenticatedClient(base_url=shared_server.base, token=TOKEN, raise_on_unexpected_status=True,
                                     timeout=httpx.Timeout(60))
        leads = [PredictBodyLeadsItem.from_dict(lead) for lead in sample_leads[:3]]
        answer = predict.sync(client=client, body=PredictBody(leads=leads))
        assert isinstance(answer, PredictResponse200), answer
        expected = registry[1].pipeline.predict_proba(pd.DataFrame(sample_leads[:3]))[:, 1]
        np.testing.assert_allclose([r.probability for r in answer.results], expected, atol=1e-6)
        assert [r.lead_id for r in answer.results] == [lead["lead_id"] for lead in sample_leads[:3]]
        assert all(str(r.band) in ("hot", "warm", "cold") and 0 <= r.score <= 100 for r in answer.results)
        bad = PredictBodyLeadsItem.from_dict({**sample_leads[0], "website_visits": "Infinity"})
        error = predict.sync(client=client, body=PredictBody(leads=[bad]))
        assert isinstance(error, ErrorBody) and error.detail[0].loc == ["leads", 0, "website_visits"]
        assert model_info.sync_detailed(client=client).status_code == 200
    finally:
        sys.path.remove(str(package.parent))
        for name in [n for n in sys.modules if n == "leadscore_client" or n.startswith("leadscore_client.")]:
            del sys.modules[name]


def register_altered_copy(registry, tmp_path, name: str, alter) -> str:
    """Register a copy of version 1 whose MLmodel file `alter` changed; returns the new version."""
    import shutil

    import yaml
    from mlflow import MlflowClient

    from training import download_model

    uri = registry[0]  # the caller sets MLFLOW_TRACKING_URI for the test only: nothing process-wide is left
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    altered = tmp_path / name
    shutil.copytree(download_model("models:/leadscore-synthetic/1"), altered)
    mlmodel = yaml.safe_load((altered / "MLmodel").read_text())
    alter(mlmodel)
    (altered / "MLmodel").write_text(yaml.safe_dump(mlmodel))
    run = client.create_run(client.get_experiment_by_name("Default").experiment_id)
    client.log_artifacts(run.info.run_id, str(altered), artifact_path="model")
    client.set_terminated(run.info.run_id)
    return client.create_model_version("leadscore-synthetic", f"runs:/{run.info.run_id}/model",
                                       run_id=run.info.run_id).version


def renamed_feature(mlmodel: dict) -> None:
    """Metadata naming a column the pipeline does not have, and not the one it has."""
    features = mlmodel["metadata"]["leadscore"]["features"]
    del features["website_visits"]
    features["web_visits"] = "web_visits"


def swapped_signature(mlmodel: dict) -> None:
    """MLflow's input signature with two columns in another order than the pipeline's."""
    inputs = json.loads(mlmodel["signature"]["inputs"])
    inputs[0], inputs[1] = inputs[1], inputs[0]
    mlmodel["signature"]["inputs"] = json.dumps(inputs)


def retyped_feature(mlmodel: dict) -> None:
    """Metadata calling a numeric column categorical."""
    mlmodel["metadata"]["leadscore"]["training_summary"]["website_visits"]["kind"] = "categorical"


def test_a_version_whose_metadata_differs_from_its_pipeline_is_refused_and_the_champion_keeps_serving(
        shared_server, registry, tmp_path, sample_leads, start_server, monkeypatch):
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry[0])
    server = shared_server
    client = MlflowClient(tracking_uri=registry[0], registry_uri=registry[0])
    model = httpx.get(f"{server.base}/model", headers=server.headers, timeout=10).json()
    refused = model["counters"]["refused_versions"]
    names = {"renamed": ("'web_visits'", "'website_visits'"), "swapped": ("'channel'", "'direction'"),
             "retyped": ("'website_visits'",)}
    versions = {}
    try:
        for name, alter in (("renamed", renamed_feature), ("swapped", swapped_signature),
                            ("retyped", retyped_feature)):
            versions[name] = register_altered_copy(registry, tmp_path, name, alter)
            client.set_registered_model_alias("leadscore-synthetic", "champion", versions[name])
            reload = strict_json(httpx.post(f"{server.base}/reload", json={}, headers=server.headers,
                                            timeout=120).text)
            assert reload["reloaded"] is False and reload["version"] == "1" and reload["status"] == "model"
            error = reload["counters"]["last_load_error"]
            assert f"version {versions[name]} refused: its metadata does not match its pipeline" in error
            assert all(column in error for column in names[name]), error
            refused += 1
            assert reload["counters"]["refused_versions"] == refused
            assert httpx.get(f"{server.base}/readyz", timeout=10).status_code == 200
            result = strict_json(post(server, {"leads": sample_leads[:1]}).text)["results"][0]
            assert result["source"] == "model" and result["model_version"] == "1"
    finally:
        client.set_registered_model_alias("leadscore-synthetic", "champion", "1")
    reload = strict_json(httpx.post(f"{server.base}/reload", json={}, headers=server.headers, timeout=120).text)
    assert reload["reloaded"] is True and reload["counters"]["last_load_error"] is None  # a good load clears it

    # At start: the refused version is never served; the rules answer, /readyz stays 503, and the loader,
    # retrying every 0.5 s while no model serves, does not fetch the refused version again.
    config = tmp_path / "service.yaml"
    config.write_text("retry_seconds: 0.5\n")
    started = start_server(LEADSCORE_MODEL_URI=f"models:/leadscore-synthetic/{versions['renamed']}",
                           LEADSCORE_SERVICE_CONFIG=str(config))
    started.wait("/livez")
    deadline = time.monotonic() + 120
    while (model := httpx.get(f"{started.base}/model", headers=started.headers, timeout=10).json()).get(
            "counters", {}).get("refused_versions", 0) < 1:
        assert time.monotonic() < deadline, model
        time.sleep(0.5)
    time.sleep(3)
    model = httpx.get(f"{started.base}/model", headers=started.headers, timeout=10).json()
    assert model["status"] == "rules" and "'web_visits'" in model["counters"]["last_load_error"]
    assert model["counters"]["refused_versions"] == model["counters"]["load_errors"] == 1
    assert httpx.get(f"{started.base}/readyz", timeout=10).status_code == 503


def test_train_register_runs_the_same_check_before_registering(registry, tmp_path, monkeypatch):
    import copy

    from mlflow import MlflowClient

    from training.fit.options import TrainOptions
    from training.registry import publish
    from training.registry.model_contract import ModelRefused

    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry[0])
    monkeypatch.chdir(tmp_path)
    made = publish.model_metadata

    def renamed(result, page=None):
        metadata = made(result, page)
        features = dict(metadata.features)
        features["web_visits"] = features.pop("website_visits")
        return metadata.model_copy(update={"features": features})

    monkeypatch.setattr(publish, "model_metadata", renamed)
    client = MlflowClient(tracking_uri=registry[0], registry_uri=registry[0])
    before = len(client.search_model_versions("name='leadscore-synthetic'"))
    with pytest.raises(ModelRefused, match="metadata features not among the pipeline's inputs: 'web_visits'"):
        publish.publish(copy.copy(registry[1]), TrainOptions(register=True))
    assert len(client.search_model_versions("name='leadscore-synthetic'")) == before  # nothing registered


def test_the_bearer_scheme_matches_in_any_case_and_only_the_token_opens(shared_server, sample_leads):
    from servers import TOKEN

    body = json.dumps({"leads": sample_leads[:1]}).encode()
    for header, status in ((f"Bearer {TOKEN}", 200), (f"bearer {TOKEN}", 200), (f"BEARER  {TOKEN}", 200),
                           (f"bEaReR {TOKEN}", 200), (f"Bearer {TOKEN}x", 401), (f"Bearer {TOKEN[:-1]}", 401),
                           (f"Basic {TOKEN}", 401), (TOKEN, 401), ("Bearer", 401), ("", 401)):
        response = httpx.post(f"{shared_server.base}/predict", content=body, timeout=30,
                              headers={"content-type": "application/json", "authorization": header})
        assert response.status_code == status, (header, response.text[:200])
        if status == 401:
            assert strict_json(response.text)["detail"][0]["loc"] == ["header", "Authorization"]
            assert TOKEN not in response.text


def test_emails_and_phone_numbers_in_text_fields_are_masked_in_the_prediction_log_and_counted(
        shared_server, sample_leads):
    server = shared_server

    def masked() -> int:
        return httpx.get(f"{server.base}/model", headers=server.headers, timeout=10).json()["counters"][
            "masked_inputs"]

    before = masked()
    lead = {**sample_leads[0], "job_title": "pii.mark.7731@example.org", "city": "+86 139 7731 0042",
            "need": " Li.Khan@Example.COM "}
    answer = strict_json(post(server, {"leads": [lead, sample_leads[1]]}).text)
    assert {r["source"] for r in answer["results"]} == {"model"}
    logged_request_ids(server, answer["request_id"])
    with sqlite3.connect(server.folder / "predictions.db") as connection:
        rows = [json.loads(text) for (text,) in connection.execute(
            "select inputs from predictions where request_id = ? order by row_key", (answer["request_id"],))]
    assert (rows[0]["job_title"], rows[0]["city"], rows[0]["need"]) == ("<email>", "<phone>", "<email>")
    assert rows[0]["website_visits"] == lead["website_visits"] and rows[1]["job_title"] == sample_leads[1][
        "job_title"]
    assert "example.org" not in json.dumps(rows) and "7731" not in json.dumps(rows)
    assert masked() == before + 3


def test_the_readmes_example_leads_are_answered_by_the_model_with_nothing_ignored(shared_server):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    leads = [json.loads(text) for text in re.findall(r"^L\d='(\{.*?\})'$", readme, re.S | re.M)]
    assert len(leads) == 2 and "activities" in leads[0]
    answer = post(shared_server, {"leads": leads, "lang": "zh"})
    assert answer.status_code == 200, answer.text
    body = strict_json(answer.text)
    assert [r["source"] for r in body["results"]] == ["model", "model"] and body["unknown_fields"] == []
