"""Registry unreachable at start (the tracking URI of a server that is down): the service is live at
once, not ready, answers from the rules, and says why; its load attempts are bounded in time."""

from __future__ import annotations

import time

import httpx
import pytest
from servers import TOKEN

from serving.launch import free_port

pytestmark = pytest.mark.slow


def test_registry_down_at_start(start_server, sample_leads):
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    server = start_server(MLFLOW_TRACKING_URI=down, LEADSCORE_SERVICE_CONFIG="")
    server.wait("/livez", seconds=60)
    assert httpx.get(f"{server.base}/readyz", timeout=5).status_code == 503
    headers = {"Authorization": f"Bearer {TOKEN}"}
    deadline = time.monotonic() + 120
    while True:  # 503 "starting" while the scorer's imports run in the background, then the rules answer
        response = httpx.post(f"{server.base}/predict", json={"leads": sample_leads[:2]}, headers=headers, timeout=30)
        if response.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert response.status_code == 200, response.text
    assert {r["fallback_reason"] for r in response.json()["results"]} == {"model_unavailable"}
    deadline = time.monotonic() + 120  # one attempt: MLflow's bounded retries, a few seconds
    while True:
        model = httpx.get(f"{server.base}/model", headers=headers, timeout=10).json()
        if model["counters"]["load_errors"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert model["status"] == "rules" and model["counters"]["load_errors"] >= 1
    assert "cannot find model" in model["counters"]["last_load_error"]
    assert model["counters"]["by_source"] == {"model": 0, "rules": 2}  # traffic only
    assert httpx.get(f"{server.base}/readyz", timeout=5).status_code == 503
