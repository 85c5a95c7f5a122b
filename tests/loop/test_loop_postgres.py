"""The feedback loop on a real PostgreSQL server: prediction log (API and batch), outcomes import,
monitor, retrain through the gate (a better model reloads the service; a worse one is refused)."""

from __future__ import annotations

import os

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from mlflow.tracking import MlflowClient
from postgres_server import running_postgres

from serving.demo.loop import MODEL, leadscore, run_loop

LEADS = 1500


@pytest.fixture(scope="module")
def postgres_url():
    with running_postgres() as url:
        yield url


def all_text(url: str) -> str:
    """Every value of every table, as text."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        tables = sa.inspect(connection).get_table_names()
        text = "\n".join(pd.read_sql_query(sa.text(f'select * from "{t}"'), connection).to_csv() for t in tables)
    engine.dispose()
    return text


@pytest.mark.slow
def test_the_loop_closes_on_postgresql(tmp_path, postgres_url):
    out = run_loop(tmp_path, postgres_url, leads=LEADS, tune_trials=0)
    assert out["synth"] == out["train"] == out["batch"] == 0
    assert out["scored"] == LEADS * 2 // 3
    assert out["logged"]["written"] == LEADS * 2 // 3 and out["logged"]["failures"] == 0
    assert out["import"].returncode == 0 and f"{LEADS:,} new" in out["import"].stdout + out["import"].stderr

    engine = sa.create_engine(postgres_url)
    with engine.connect() as connection:
        assert connection.dialect.name == "postgresql"
        origins = dict(connection.execute(sa.text("select origin, count(*) from predictions group by origin")).all())
        names = {r[0] for r in connection.execute(sa.text("select distinct model_name from predictions"))}
        stored = connection.execute(sa.text("select count(*), sum(breaches) from monitor_reports")).one()
    engine.dispose()
    assert origins == {"api": LEADS * 2 // 3, "batch": LEADS - LEADS * 2 // 3} and names == {MODEL}

    monitor = out["monitor"].stdout + out["monitor"].stderr
    assert out["monitor"].returncode == 1 and "PSI of channel" in monitor and "write failures: 0" in monitor
    assert stored[0] == 1 and stored[1] >= 1
    assert "conversions lost to slow follow-up" in monitor

    retrain = out["retrain"].stdout + out["retrain"].stderr
    assert out["retrain"].returncode == 0 and "promoted" in retrain
    assert out["version_before"] == "1" and out["version_after"] == "2"  # the service reloaded the new champion

    leads = pd.read_csv(tmp_path / "data/generated/synthetic_later/new_leads.csv")
    text = all_text(postgres_url)
    for column in ("contact_name", "email", "phone"):  # nothing personal in any table
        assert not any(value in text for value in leads[column].astype(str).head(200)), column

    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
           "LEADSCORE_PREDICTION_DB": postgres_url}
    again = leadscore(tmp_path, env, "outcomes", "import", "--input",
                      "data/generated/synthetic_later/outcomes_import.csv")
    assert again.returncode == 0 and f"0 new, 0 updated, {LEADS:,} unchanged" in again.stdout + again.stderr

    # A worse model (the spec leaves out the fields that carry most signal): the gate keeps the champion.
    spec = yaml.safe_load((tmp_path / "synthetic_later.yaml").read_text())
    spec["features"]["exclude"] = ["need", "purchase_timeline", "budget", "decision_authority", "time_on_site_sec"]
    (tmp_path / "weaker.yaml").write_text(yaml.safe_dump(spec))
    worse = leadscore(tmp_path, env, "retrain", "--spec", "weaker.yaml", "--tune-trials", "0")
    assert worse.returncode == 3, worse.stdout + worse.stderr
    assert "champion kept" in worse.stdout + worse.stderr
    # Both URIs explicitly: another test of this process may have set a registry URI process-wide.
    client = MlflowClient(env["MLFLOW_TRACKING_URI"], registry_uri=env["MLFLOW_TRACKING_URI"])
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == "2"
