"""The real server: `leadscore serve` in its own process, called over HTTP on a free port."""

import httpx
import numpy as np
import pandas as pd
import pytest


@pytest.mark.slow
def test_real_server_over_http(live_server, registry, sample_leads):
    base, token = live_server
    _, trained = registry
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{base}/predict", json={"leads": sample_leads[:1]}).status_code == 401
    response = httpx.post(f"{base}/predict", json={"leads": sample_leads}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    served = [r["probability"] for r in response.json()["results"]]
    expected = trained.pipeline.predict_proba(pd.DataFrame(sample_leads))[:, 1]
    np.testing.assert_allclose(served, expected, atol=1e-6)  # parity with the training pipeline
    assert httpx.get(f"{base}/model", headers=headers).json()["version"] == "1"
    bad = httpx.post(f"{base}/predict", content=b"{", headers={**headers, "content-type": "application/json"})
    assert bad.status_code == 400
    assert httpx.get(f"{base}/livez").status_code == 200
