"""Calls from the loop commands to a running prediction service: reload the champion, read how many
prediction-log writes failed. The bearer token comes from LEADSCORE_API_TOKEN, read once per call."""

from __future__ import annotations

import os

from features.errors import LeadscoreError


def _headers() -> dict[str, str]:
    token = os.environ.get("LEADSCORE_API_TOKEN")
    return {"Authorization": f"Bearer {token}"} if token else {}


def reload_service(url: str) -> dict:
    """Ask a running service to load the champion again (bearer token from LEADSCORE_API_TOKEN)."""
    import httpx

    try:
        response = httpx.post(f"{url.rstrip('/')}/reload", headers=_headers(), json={}, timeout=120)
    except httpx.HTTPError as exc:
        raise LeadscoreError(f"{url}: the service did not answer the reload: {type(exc).__name__}") from None
    if response.status_code == 401:
        raise LeadscoreError(f"{url}: the service refused the reload (401); set LEADSCORE_API_TOKEN")
    if response.status_code != 200:
        raise LeadscoreError(f"{url}: reload answered {response.status_code}")
    return response.json()


def read_write_failures(url: str) -> int:
    """How many prediction-log writes the service at `url` has failed since it started."""
    import httpx

    try:
        answer = httpx.get(f"{url.rstrip('/')}/model", timeout=30, headers=_headers())
        answer.raise_for_status()
        return int(answer.json()["prediction_log"]["failures"])
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise LeadscoreError(f"{url}/model: cannot read the log write failures ({type(exc).__name__})") from None
