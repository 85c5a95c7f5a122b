"""`leadscore outcomes import`: idempotence, updates counted, rejects with reasons, one transaction."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from features.errors import LeadscoreError
from serving.cli.main import app
from serving.predlog import write_predictions
from training.loop.outcomes import import_outcomes


@pytest.fixture
def db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path}/log.db"
    rows = [{"request_id": "r1", "lead_id": f"L{i}", "source": "model", "probability": 0.5, "score": 50,
             "band": "warm", "inputs": {"channel": "web"}} for i in range(1, 6)]
    assert write_predictions(url, rows) == 5
    assert write_predictions(url, [dict(r, inputs={"channel": "web"}) for r in rows]) == 0  # same row keys
    return url


def table(url: str) -> pd.DataFrame:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        frame = pd.read_sql_query("select lead_id, outcome, first_response_hours, deal_value from outcomes "
                                  "order by lead_id", connection)
    engine.dispose()
    return frame


def write(tmp_path, rows: list[dict], name: str = "outcomes.csv"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


GOOD = [{"lead_id": "L1", "outcome": "won", "outcome_at": "2026-03-01T10:00:00Z", "first_response_hours": 0.5,
         "deal_value": 1200},
        {"lead_id": "L2", "outcome": "Lost", "outcome_at": "2026-03-02", "first_response_hours": 30,
         "deal_value": None}]
BAD = [{"lead_id": "Z9", "outcome": "won", "outcome_at": "2026-03-01", "first_response_hours": 1, "deal_value": 1},
       {"lead_id": "L3", "outcome": "maybe", "outcome_at": "2026-03-01", "first_response_hours": 1, "deal_value": 1},
       {"lead_id": "L4", "outcome": "won", "outcome_at": "03/04/2026", "first_response_hours": 1, "deal_value": 1}]


def test_import_is_idempotent_counts_updates_and_rejects_bad_rows(tmp_path, db):
    path = write(tmp_path, GOOD + BAD)
    first = import_outcomes(db, str(path))
    assert (first.rows, first.inserted, first.updated, first.unchanged) == (5, 2, 0, 0)
    assert first.rejected == {"unknown lead_id (never scored)": 1,
                              "outcome is neither won (won) nor lost (lost)": 1,
                              "outcome_at is not an ISO date such as 2026-03-31 or 2026-03-31T14:05:00Z": 1}
    assert first.examples["unknown lead_id (never scored)"] == ["Z9"]
    rejects = pd.read_csv(first.rejects_file)
    assert list(rejects["lead_id"]) == ["Z9", "L3", "L4"] and rejects["reject_reason"].notna().all()
    stored = table(db)
    assert stored[["lead_id", "outcome", "first_response_hours"]].to_dict("records") == [
        {"lead_id": "L1", "outcome": "won", "first_response_hours": 0.5},
        {"lead_id": "L2", "outcome": "lost", "first_response_hours": 30.0}]
    assert stored["deal_value"].iloc[0] == 1200.0 and pd.isna(stored["deal_value"].iloc[1])

    again = import_outcomes(db, str(path))  # the same file twice changes nothing
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert table(db).equals(stored)

    changed = write(tmp_path, [dict(GOOD[0]), dict(GOOD[1], outcome="won", deal_value=800)], "changed.csv")
    third = import_outcomes(db, str(changed))
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 1)
    assert table(db).set_index("lead_id").loc["L2", "outcome"] == "won"


def test_duplicates_in_one_file_are_rejected_not_guessed(tmp_path, db):
    path = write(tmp_path, [GOOD[0], dict(GOOD[0], outcome="lost")])
    report = import_outcomes(db, str(path))
    assert report.inserted == 0 and report.rejected == {"lead_id appears more than once in the input": 2}


def test_a_database_error_leaves_the_table_as_it_was(tmp_path, db):
    import_outcomes(db, str(write(tmp_path, GOOD)))
    before = table(db)
    engine = sa.create_engine(db)
    with engine.begin() as connection:  # a real database error in the middle of the import
        connection.execute(sa.text("CREATE TRIGGER refuse BEFORE UPDATE ON outcomes WHEN NEW.lead_id = 'L1' "
                                   "BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    engine.dispose()
    rows = [dict(GOOD[0], outcome="lost"), dict(GOOD[0], lead_id="L3")]  # L3 is inserted before L1 is updated
    with pytest.raises(LeadscoreError, match="nothing was changed"):
        import_outcomes(db, str(write(tmp_path, rows, "partly.csv")))
    assert table(db).equals(before)  # the insert of L3 did not stay either


def test_cli_reports_counts_and_missing_columns_exit_2(tmp_path, db):
    runner = CliRunner()
    done = runner.invoke(app, ["outcomes", "import", "--input", str(write(tmp_path, GOOD + BAD)), "--db", db])
    assert done.exit_code == 0, done.output
    assert "2 new, 0 updated, 0 unchanged, 3 rejected" in done.output
    broken = write(tmp_path, [{"lead_id": "L1", "result": "won"}], "broken.csv")
    done = runner.invoke(app, ["outcomes", "import", "--input", str(broken), "--db", db])
    assert done.exit_code == 2 and "'outcome'" in done.output and "Traceback" not in done.output


def test_batch_log_rows_are_stored_as_sqlalchemy_stores_them(tmp_path):
    """The batch writer's fast SQLite path converts values with the column types' own processors: a
    time it writes reads back as SQLAlchemy's, in the same text form as a row SQLAlchemy inserted."""
    from datetime import UTC, datetime

    from training.loop.store import predictions

    url = f"sqlite:///{tmp_path}/log.db"
    when = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert write_predictions(url, [{"request_id": "fast", "lead_id": "L1", "logged_at": when, "inputs": "{}"}]) == 1
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(predictions.insert(), [{"row_key": "core:0", "logged_at": when, "origin": "api"}])
        stored = connection.exec_driver_sql("select logged_at from predictions order by id").scalars().all()
        read = connection.execute(sa.select(predictions.c.logged_at).order_by(predictions.c.id)).scalars().all()
    assert stored[0] == stored[1]
    assert read[0] == read[1] and read[0].replace(tzinfo=UTC) == when
