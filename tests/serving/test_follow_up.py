"""follow_up_by: the lead's creation (or last activity) time plus its band's deadline, in its own clock."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pandas as pd
import pytest

from features.errors import LeadscoreError
from serving.follow_up import follow_up_by


def test_each_band_gets_its_deadline_from_the_creation_time(client, engaged_leads):
    leads = [{**lead, "created_at": "2026-03-02 10:15:00"} for lead in engaged_leads]
    results = client.post("/predict", json={"leads": leads}).json()["results"]
    hours = {"hot": 1, "warm": 24}  # the default actions: call within 1 hour, within 24 hours
    assert {r["band"] for r in results} >= {"hot", "cold"}
    for result in results:
        due = hours.get(result["band"])
        expected = None if due is None else (datetime(2026, 3, 2, 10, 15) + timedelta(hours=due)).isoformat()
        assert result["follow_up_by"] == expected, result["band"]
    zoned = client.post("/predict", json={"leads": [{**leads[0], "created_at": "2026-03-02T23:30:00+08:00"}]})
    band = zoned.json()["results"][0]["band"]
    if band in hours:
        assert zoned.json()["results"][0]["follow_up_by"] == (
            datetime.fromisoformat("2026-03-02T23:30:00+08:00") + timedelta(hours=hours[band])).isoformat()
    no_time = {k: v for k, v in leads[0].items() if k != "created_at"}
    assert client.post("/predict", json={"leads": [no_time]}).json()["results"][0]["follow_up_by"] is None


def test_a_creation_time_that_is_not_a_date_is_a_422_naming_the_field(client, sample_leads):
    answer = client.post("/predict", json={"leads": [sample_leads[0], {**sample_leads[1], "created_at": "03/02/26"}]})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["leads", 1, "created_at"]
    assert "03/02/26" not in answer.text  # values never echoed


def test_the_last_activity_counts_when_named_and_the_declared_format_is_used():
    lead = {"created": "02-03-2026 10:00", "last_touch": "05-03-2026 16:30"}
    assert follow_up_by(lead, 0, 24, "created", "%d-%m-%Y %H:%M") == "2026-03-03T10:00:00"
    assert follow_up_by(lead, 0, 1, "created", "%d-%m-%Y %H:%M", "last_touch") == "2026-03-05T17:30:00"
    assert follow_up_by({"created": "02-03-2026 10:00"}, 0, 1, "created", "%d-%m-%Y %H:%M", "last_touch") \
        == "2026-03-02T11:00:00"
    assert follow_up_by(lead, 0, None, "created", "%d-%m-%Y %H:%M") is None  # the band has no deadline
    with pytest.raises(LeadscoreError, match="'created' of lead 3: expected a date in the format"):
        follow_up_by({"created": "2026-03-02"}, 2, 1, "created", "%d-%m-%Y %H:%M")


def test_a_unix_time_counts_from_utc_in_its_declared_unit():
    assert follow_up_by({"created": 1717171717000}, 0, 1, "created", "epoch_ms") == "2024-05-31T17:08:37+00:00"
    assert follow_up_by({"created": "1717171717"}, 0, 1, "created", "epoch_s") == "2024-05-31T17:08:37+00:00"
    for bad in ("2024-05-31", True, 1e300):
        with pytest.raises(LeadscoreError, match="'created' of lead 1: expected a date in the format 'epoch_s'"):
            follow_up_by({"created": bad}, 0, 1, "created", "epoch_s")


def test_a_service_config_deadline_moves_follow_up_by_and_monitors_late_hot_leads_alike(
        service_env, app_factory, model_ready, tmp_path, engaged_leads):
    """The hot deadline a service config file sets is the one `follow_up_by` counts and the one
    `leadscore monitor` judges late hot leads by (`--service-config`, or LEADSCORE_SERVICE_CONFIG)."""
    import sqlalchemy as sa
    import yaml
    from starlette.testclient import TestClient
    from typer.testing import CliRunner

    from serving.cli.main import app
    from training.monitor.report import latest_report
    from training.report.texts import ACTIONS

    config = tmp_path / "service.yaml"
    config.write_text(yaml.safe_dump({"actions": {
        "hot": {"channel": "call", "within_hours": 3, **ACTIONS["hot"]},
        "warm": {"channel": "call", "within_hours": 24, **ACTIONS["warm"]},
        "cold": {"channel": "email", **ACTIONS["cold"]}}}))
    leads = [{**lead, "created_at": "2026-03-02 10:15:00"} for lead in engaged_leads]
    service_env.setenv("LEADSCORE_SERVICE_CONFIG", str(config))
    with TestClient(app_factory()) as client:
        model_ready(client)
        results = client.post("/predict", json={"leads": leads}).json()["results"]
    hot = [r["lead_id"] for r in results if r["band"] == "hot"]
    assert hot and {r["follow_up_by"] for r in results if r["band"] == "hot"} == {
        (datetime(2026, 3, 2, 10, 15) + timedelta(hours=3)).isoformat()}

    db = f"sqlite:///{tmp_path}/predictions.db"
    engine = sa.create_engine(db)
    for _ in range(100):  # the writer thread batches every 0.2 s
        with engine.connect() as connection:
            if sa.inspect(connection).has_table("predictions") and connection.execute(
                    sa.text("select count(*) from predictions")).scalar() == len(leads):
                break
        threading.Event().wait(0.1)
    engine.dispose()
    outcomes = tmp_path / "outcomes.csv"  # every hot lead answered after 2 hours: late against 1, not against 3
    pd.DataFrame({"lead_id": [r["lead_id"] for r in results], "outcome": ["won", "lost"] * (len(results) // 2)
                  + ["won"] * (len(results) % 2), "outcome_at": "2026-04-01",
                  "first_response_hours": [2.0 if r["band"] == "hot" else 30.0 for r in results]}).to_csv(
        outcomes, index=False)
    runner = CliRunner()
    done = runner.invoke(app, ["outcomes", "import", "--input", str(outcomes), "--db", db])
    assert done.exit_code == 0, done.output

    def late(*extra: str) -> tuple:
        done = runner.invoke(app, ["monitor", "--db", db, *extra])
        assert done.exit_code in (0, 1), done.output
        section = latest_report(db, "leadscore-synthetic").sections["late_hot_leads"]
        return section["deadline_hours"], section["late"]

    service_env.delenv("LEADSCORE_SERVICE_CONFIG")
    assert late() == (1.0, len(hot))  # without the file: the model's own hot action, within 1 hour
    assert late("--service-config", str(config)) == (3.0, 0)
    service_env.setenv("LEADSCORE_SERVICE_CONFIG", str(config))  # the file the service reads, by default
    assert late() == (3.0, 0)
