"""The real server against bad input, generated input (Schemathesis), a broken model version and the
question of what its logs contain: a 4xx for every bad request, never a 5xx, no personal data logged."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
from pathlib import Path

import httpx
import mlflow
import pytest
import schemathesis
import yaml
from mlflow import MlflowClient
from schema_fuzz import _sent_as_valid, fuzz
from schemathesis import DataGenerationMethod
from servers import TOKEN

pytestmark = pytest.mark.slow
PII = {"contact_name": "Zhang Wei-PIIMARK", "email": "pii.mark.7731@example.org", "phone": "+86 139 7731 0042"}
FUZZ_REQUESTS = int(os.environ.get("LEADSCORE_FUZZ_REQUESTS", "2200"))


def post(server, body, content_type="application/json", **headers):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{server.base}/predict", content=data, timeout=30,
                      headers={**server.headers, "content-type": content_type, **headers})


def test_bad_input_gets_a_4xx_with_the_field_and_personal_data_is_never_logged(shared_server, sample_leads):
    server = shared_server
    good = [{**lead, **PII} for lead in sample_leads[:3]]
    assert post(server, {"leads": good}).status_code == 200
    page = post(server, {"leads": good[:1]}, **{"X-Leadscore-Origin": "page"})
    assert page.status_code == 200
    cases = [  # body, content type, expected status, expected field location
        (b'{"leads": [{"website_visits": ' + b"9" * 400 + b', "email": "pii.mark.7731@example.org"}]}',
         "application/json", 400, ["leads", 0, "website_visits"]),
        (b'{"leads": [{"website_visits": 1e400, "phone": "+86 139 7731 0042"}]}', "application/json", 400,
         ["leads", 0, "website_visits"]),
        (b'{"leads": [{"website_visits": NaN, "phone": "+86 139 7731 0042"}]}', "application/json", 400,
         ["leads", 0, "website_visits"]),
        (b'{"leads": [{"website_visits": -Infinity}]}', "application/json", 400, ["leads", 0, "website_visits"]),
        (b'--x\r\nContent-Disposition: form-data; name="leads"\r\n\r\npii.mark.7731@example.org\r\n--x--\r\n',
         "multipart/form-data; boundary=x", 415, ["header", "Content-Type"]),
        (b"leads=pii.mark.7731@example.org", "application/x-www-form-urlencoded", 415, ["header", "Content-Type"]),
        (json.dumps({"leads": [{"email": "pii.mark.7731@example.org", "notes": "x" * 1001}]}).encode(),
         "application/json", 422, ["leads", 0, "notes"]),
        (json.dumps({"leads": [{"k" * 2000: 1, "phone": "+86 139 7731 0042"}]}).encode(), "application/json", 422,
         ["leads", 0]),
        (json.dumps({"leads": [{**PII, "need": ["pii.mark.7731@example.org"]}]}).encode(), "application/json", 400,
         None),
        (json.dumps({"leads": [PII], "reasons": None}).encode(), "application/json", 400, ["reasons"]),
        (json.dumps({"leads": [{**PII, "website_visits": "lots"}]}).encode(), "application/json", 422,
         ["leads", 0, "website_visits"]),
        (b'{"leads": [{"email": "pii.mark.7731@example.org"', "application/json", 400, ["body"]),
    ]
    for body, content_type, status, where in cases:
        response = post(server, body, content_type)
        assert response.status_code == status, (body[:80], response.text)
        error = response.json()
        assert set(error) == {"error", "request_id", "detail"}
        assert response.headers["x-request-id"] == error["request_id"]
        if where is not None:
            assert error["detail"][0]["loc"][:len(where)] == where, error
        assert "PIIMARK" not in response.text and "+86 139" not in response.text
    big = b'{"leads": [{"notes": "' + b"x" * (8 << 20) + b'"}]}'
    assert post(server, big).status_code == 413
    assert httpx.get(f"{server.base}/metrics", timeout=10).status_code == 401  # behind the token

    logs = [server.folder / n for n in ("stdout.txt", "stderr.txt")] + list(server.folder.rglob("*.log"))
    text = "".join(p.read_text(errors="replace") for p in logs if p.is_file())
    assert "POST /predict 200" in text and "POST /predict 415" in text and "fields=leads.0.notes" in text
    # The server's own random ids (request, trace and span: 16 or 32 hex digits) may hold '7731' by chance
    # (a CI run failed on span 8191a9b27177313c); they carry no request value, so they are set aside.
    text = re.sub(r"\b[0-9a-f]{16,}\b", "<id>", text)
    for value in (*PII.values(), "pii.mark", "7731", "PIIMARK"):
        assert value not in text, value


def test_log_rows_name_origin_model_and_keep_no_personal_data(shared_server, sample_leads):
    server = shared_server
    response = post(server, {"leads": [{**sample_leads[0], **PII}]}, **{"X-Leadscore-Origin": "page"})
    request_id = response.json()["request_id"]
    stats = httpx.get(f"{server.base}/model", headers=server.headers, timeout=10).json()["prediction_log"]
    assert set(stats) >= {"written", "spooled", "failed", "write_errors", "startup_errors"}
    with sqlite3.connect(server.folder / "predictions.db") as connection:
        for _ in range(100):  # the writer inserts once a second
            rows = connection.execute("select row_key, origin, lead_id, model_name, model_version, dataset, source,"
                                      " inputs from predictions where request_id = ?", (request_id,)).fetchall()
            if rows:
                break
            time.sleep(0.1)
    assert rows == [(f"{request_id}:0", "page", sample_leads[0]["lead_id"], "leadscore-synthetic", "1", "synthetic",
                     "model", rows[0][7])]
    assert "PIIMARK" not in rows[0][7] and "example.org" not in rows[0][7]


def test_schemathesis_finds_no_answer_unlike_the_document_under_any_check(shared_server):
    result = fuzz(shared_server.base, {"Authorization": f"Bearer {TOKEN}"}, FUZZ_REQUESTS)
    assert result["requests"] >= min(FUZZ_REQUESTS, 2000) - 100, result["statuses"]
    assert result["server_errors"] == 0, result["failures"]
    assert {name: counts["failed"] for name, counts in result["checks"].items()} == dict.fromkeys(
        result["checks"], 0), result["failures"]
    assert result["checks"]["negative_data_rejection"]["checked"] > result["requests"] / 2  # most are invalid
    assert result["checks"]["positive_data_acceptance"]["checked"] > result["requests"] / 20
    assert result["checks"]["strict_json"]["checked"] == result["requests"]


def test_the_page_refuses_query_parameters_it_does_not_take_and_the_fuzzer_judges_what_was_sent(shared_server):
    # FastAPI ignores unknown query parameters and keeps the last of repeated ones: `?lnag=zh` would
    # show English without a word. Schemathesis may also generate an invalid query that a URL cannot
    # carry (an unknown parameter whose value is an empty list): what is sent is then a valid request.
    schema = schemathesis.from_uri(f"{shared_server.base}/docs.json", base_url=shared_server.base)
    page = next(op for op in (r.ok() for r in schema.get_all_operations()) if op.path == "/drivers")
    for query, sent_valid, status in [({"lang": "zh", "": []}, True, 200), ({"lang": "zz"}, False, 422),
                                      ({"lnag": "zh"}, False, 422), ({"lang": ["en", "zh"]}, False, 422)]:
        case = page.make_case(query=query)
        case.data_generation_method = DataGenerationMethod.negative
        response = case.call(headers=shared_server.headers, timeout=30)
        assert response.status_code == status, (query, response.text)
        assert _sent_as_valid(case, response) is sent_valid, query
        if status == 422:
            body = response.json()
            assert body["detail"][0]["loc"][0] == "query" and "send" in body["error"], body
            assert "zz" not in response.text and "lnag" not in body["error"], body  # named in loc only


def test_a_broken_model_version_is_refused_and_the_old_one_keeps_serving(shared_server, registry, tmp_path,
                                                                          sample_leads):
    uri, _ = registry
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    mlflow.set_tracking_uri(uri)
    folder = Path(mlflow.artifacts.download_artifacts(artifact_uri="models:/leadscore-synthetic/1",
                                                       dst_path=str(tmp_path / "v1")))
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    mlmodel = yaml.safe_load((broken / "MLmodel").read_text())
    del mlmodel["metadata"]["leadscore"]["bands"]["warm"]  # scoring would fail on every lead
    (broken / "MLmodel").write_text(yaml.safe_dump(mlmodel))
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(broken), artifact_path="model")
    version = client.create_model_version("leadscore-synthetic", f"runs:/{run.info.run_id}/model",
                                          run_id=run.info.run_id)
    client.set_registered_model_alias("leadscore-synthetic", "champion", version.version)
    try:
        reload = httpx.post(f"{shared_server.base}/reload", headers=shared_server.headers, timeout=60).json()
        assert reload["reloaded"] is False and reload["version"] == "1"
        assert "bands.warm" in reload["counters"]["last_load_error"]
        assert httpx.get(f"{shared_server.base}/readyz", timeout=10).status_code == 200
        result = post(shared_server, {"leads": sample_leads[:1]}).json()["results"][0]
        assert result["source"] == "model" and result["model_version"] == "1"
    finally:
        client.set_registered_model_alias("leadscore-synthetic", "champion", "1")
