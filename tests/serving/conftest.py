"""Serving fixtures: a small model trained, registered and promoted in a temporary MLflow registry,
and an in-process client of the real BentoML app (lifespan, middleware and validation included)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient


@pytest.fixture
def service_env(monkeypatch, tmp_path, registry):
    """Environment of a service serving the registry's champion, logging to a fresh SQLite file."""
    uri, _ = registry
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("LEADSCORE_MODEL_URI", "models:/leadscore-synthetic@champion")
    monkeypatch.setenv("LEADSCORE_PREDICTION_DB", f"sqlite:///{tmp_path}/predictions.db")
    monkeypatch.setenv("LEADSCORE_PREDICTION_SPOOL", str(tmp_path / "predictions.spool"))
    monkeypatch.delenv("LEADSCORE_API_TOKEN", raising=False)
    monkeypatch.delenv("LEADSCORE_SERVICE_CONFIG", raising=False)
    return monkeypatch


def build_app():
    """A fresh in-process app. Prometheus metrics are off here: their collectors are process-wide and
    would clash when a test builds a second app (the real server, started in its own process, keeps them)."""
    from _bentoml_impl.server.app import ServiceAppFactory

    from serving.service import LeadScoring

    LeadScoring.inject_config()  # what LeadScoring.to_asgi() does, with metrics off
    return ServiceAppFactory(LeadScoring, is_main=True, enable_metrics=False)()


@pytest.fixture
def app_factory(service_env):
    return build_app


def wait_for_model(test_client, seconds: float = 60) -> None:
    """The model loads in the background: wait (bounded) until /readyz says it is served."""
    import time

    deadline = time.monotonic() + seconds
    while test_client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, test_client.get("/model").json()
        time.sleep(0.1)


def wait_for_scorer(test_client, seconds: float = 60) -> None:
    """Wait (bounded) until the scorer is built: before that /predict is 503 "starting"."""
    import time

    deadline = time.monotonic() + seconds
    while test_client.get("/model").json().get("status") == "starting":
        assert time.monotonic() < deadline, "the scorer was not built in time"
        time.sleep(0.1)


@pytest.fixture
def model_ready():
    return wait_for_model


@pytest.fixture
def scorer_ready():
    return wait_for_scorer


@pytest.fixture
def client(service_env):
    with TestClient(build_app()) as test_client:
        wait_for_model(test_client)
        yield test_client


@pytest.fixture(scope="session")
def live_server(registry, tmp_path_factory):
    """`leadscore serve` in its own process on a free port, with an API token. Yields (base URL, token)."""
    from serving.launch import running_service

    uri, _ = registry
    folder = tmp_path_factory.mktemp("server")
    token = "t0ken"
    env = {"MLFLOW_TRACKING_URI": uri, "LEADSCORE_API_TOKEN": token,
           "LEADSCORE_MODEL_URI": "models:/leadscore-synthetic@champion",
           "LEADSCORE_PREDICTION_DB": f"sqlite:///{folder}/predictions.db"}
    try:
        with running_service(env, cwd=folder, log=folder / "server.log") as base:
            yield base, token
    except RuntimeError as exc:
        pytest.fail(f"{exc}:\n" + (folder / "server.log").read_text())
