"""`leadscore activities import`: idempotent, one transaction, bad rows counted or one line."""

import pandas as pd
import sqlalchemy as sa
from typer.testing import CliRunner

from serving.cli.main import app
from training.loop.activities import stored_activities


def events(rows):
    return pd.DataFrame(rows, columns=["lead_id", "occurred_at", "activity_type", "channel"])


def run(*args):
    result = CliRunner().invoke(app, ["activities", "import", *args])
    return result, " ".join(result.output.split())


def count(db):
    engine = sa.create_engine(db)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("select count(*) from activities").scalar()
    finally:
        engine.dispose()


def test_import_is_idempotent_and_counts_bad_rows(tmp_path):
    db = f"sqlite:///{tmp_path}/loop.db"
    rows = [("L1", "2026-03-01T10:00:00Z", "email open", "email"),
            ("L1", "2026-03-02T10:00:00Z", "pricing page", "web"),
            ("L2", "2026-03-02T11:00:00Z", "demo request", "web"),
            ("L2", "2026-03-02T11:00:00Z", "demo request", "web"),
            ("L3", "2099-01-01T00:00:00Z", "email open", "email")]
    events(rows).to_csv(tmp_path / "a.csv", index=False)
    result, text = run("--input", str(tmp_path / "a.csv"), "--db", db)
    assert result.exit_code == 0, result.output
    assert "5 activity rows: 3 new, 0 already stored, 2 left out" in text
    assert "dated in the future" in text and "repeat another" in text
    result, text = run("--input", str(tmp_path / "a.csv"), "--db", db)
    assert "0 new, 3 already stored" in text and count(db) == 3
    stored = stored_activities(db, ["L1"])
    assert sorted(stored["type"]) == ["email open", "pricing page"]


def test_failed_import_leaves_the_table_as_it_was(tmp_path):
    db = f"sqlite:///{tmp_path}/loop.db"
    events([("L1", "2026-03-01T10:00:00Z", "email open", "email")]).to_csv(tmp_path / "a.csv", index=False)
    run("--input", str(tmp_path / "a.csv"), "--db", db)
    bad = events([("L2", "2026-03-01T10:00:00Z", "email open", "email"), ("L3", "2026-03-01 10:00", "call", "phone")])
    bad.to_csv(tmp_path / "b.csv", index=False)
    result, text = run("--input", str(tmp_path / "b.csv"), "--db", db)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "column 'occurred_at'" in text and "activities.timezone" in text
    assert count(db) == 1
    events([("L4", "2026-03-01T10:00:00Z", "email open", "email")]).drop(columns=["activity_type"]).to_csv(
        tmp_path / "c.csv", index=False)
    result, text = run("--input", str(tmp_path / "c.csv"), "--db", db)
    assert result.exit_code == 2 and "'activity_type'" in text and count(db) == 1


def test_an_event_without_a_channel_is_stored_with_none(tmp_path):
    db = f"sqlite:///{tmp_path}/loop.db"
    events([("L1", "2026-03-01T10:00:00Z", "sales call", None),
            ("L1", "2026-03-02T10:00:00Z", "email open", "email")]).to_csv(tmp_path / "a.csv", index=False)
    result, text = run("--input", str(tmp_path / "a.csv"), "--db", db)
    assert result.exit_code == 0, result.output
    stored = stored_activities(db, ["L1"]).sort_values("at")
    assert stored["channel"].isna().tolist() == [True, False] and stored["channel"].iloc[1] == "email"
    engine = sa.create_engine(db)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("select count(*) from activities where channel is null").scalar() == 1
    finally:
        engine.dispose()
