"""The service's read of stored activities (serving/stored_activities.py) and retrain's read of them, on a
real PostgreSQL server: one query per batch, the as-of cut made by the database."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from postgres_server import running_postgres

from serving.stored_activities import StoredActivities
from training.loop.activities import import_activities, stored_activities


@pytest.mark.slow
def test_stored_activities_as_of_on_postgresql(tmp_path):
    rows = [("L1", "2026-03-01T10:00:00Z", "email open", "email"),
            ("L1", "2026-03-05T10:00:00Z", "pricing page visit", "web"),
            ("L1", "2026-03-09T10:00:00Z", "demo request", "web"),
            ("L2", "2026-03-02T11:00:00Z", "sales call", None)]
    pd.DataFrame(rows, columns=["lead_id", "occurred_at", "activity_type", "channel"]).to_csv(
        tmp_path / "a.csv", index=False)
    with running_postgres() as url:
        assert import_activities(url, str(tmp_path / "a.csv")).inserted == 4
        source = StoredActivities(url)
        statements: list[str] = []
        sa.event.listen(source.engine(), "before_cursor_execute",
                        lambda conn, cursor, statement, *args: statements.append(statement))
        try:
            leads = [{"lead_id": "L1", "as_of": "2026-03-05T10:00:00Z"}, {"lead_id": "L2"},
                     {"lead_id": "L1", "as_of": "2026-03-05T09:59:59+00:00"},
                     {"lead_id": "L1", "activities": []}]
            filled, unread = source.fill(leads, "lead_id")
        finally:
            source.close()
        assert not unread and len([s for s in statements if "activities" in s]) == 1
        assert [a["type"] for a in filled[0]["activities"]] in (["email open", "pricing page visit"],
                                                                ["pricing page visit", "email open"])
        assert [(a["type"], a["channel"]) for a in filled[1]["activities"]] == [("sales call", None)]
        assert [a["type"] for a in filled[2]["activities"]] == ["email open"]  # a second before: not yet
        assert filled[3] == leads[3]  # sent its own (none): the table is not asked for it
        assert len(stored_activities(url)) == 4 and set(stored_activities(url, ["L2"])["lead"]) == {"L2"}


def test_an_unreachable_postgresql_is_counted_and_its_leads_left_to_the_rules():
    from serving.launch import free_port

    source = StoredActivities(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/postgres")
    try:
        filled, unread = source.fill([{"lead_id": "L1"}, {"lead_id": "L2", "activities": []}], "lead_id")
    finally:
        source.close()
    assert unread == {0} and filled[0] == {"lead_id": "L1"}
    assert source.counters["read_errors"] == 1 and source.counters["last_read_error"].startswith("OperationalError")
    assert "L1" not in source.counters["last_read_error"]
