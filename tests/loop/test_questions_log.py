"""The offered questions in the loop's database (table offered_questions), and `monitor` on whether the
leads whose questions were answered later converted differently."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from training.loop.store import write_predictions
from training.monitor.compute import Thresholds, monitor
from training.monitor.questions import read_offered
from training.registry.contract import ModelMetadata

T0 = datetime(2026, 8, 1, tzinfo=UTC)
BUDGET = {"field": "budget", "answers": ["high", "low"], "unknown": ["unknown"], "shares": {}, "known": {}}
META = ModelMetadata.model_validate({"dataset": "crm", "bands": {"hot": 0.6, "warm": 0.3},
                                     "features": {"budget": "budget", "visits": "visits"},
                                     "askable": {"budget": BUDGET}})


def row(lead: str, when: datetime, budget: str | None, key: str, questions=None, origin: str = "api") -> dict:
    return {"row_key": key, "request_id": key, "logged_at": when, "origin": origin, "lead_id": lead,
            "model_name": "m", "model_version": "1", "source": "model", "probability": 0.4, "score": 40,
            "band": "warm", "inputs": {"budget": budget, "visits": 3}, "questions": questions}


ASKED = [{"field": "budget", "expected_change": 12.5, "crosses_band": True}]


def test_offered_questions_are_logged_once_in_their_own_table(tmp_path):
    url = f"sqlite:///{tmp_path}/log.db"
    rows = [row("A", T0, "unknown", "r1", ASKED), row("B", T0, None, "r2"), row("C", T0, None, "r3", ASKED, "page")]
    assert write_predictions(url, rows) == 3
    assert write_predictions(url, rows) == 0  # replayed: nothing twice
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("select lead_id, field, rank, expected_change, crosses_band, origin "
                                            "from offered_questions order by lead_id")).all()
        columns = {c["name"] for c in sa.inspect(connection).get_columns("predictions")}
    engine.dispose()
    assert [tuple(r) for r in stored] == [("A", "budget", 1, 12.5, 1, "api"), ("C", "budget", 1, 12.5, 1, "page")]
    assert "questions" not in columns
    assert read_offered(url)["lead_id"].tolist() == ["A"]  # the page's what-ifs are not monitored


def test_a_database_from_before_keeps_working(tmp_path):
    url = f"sqlite:///{tmp_path}/old.db"
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # the log as earlier versions created it: no offered_questions
        from training.loop.store import predictions

        predictions.create(connection)
        connection.execute(predictions.insert(), [{**row("A", T0, "high", "old"), "inputs": "{}"}])
    engine.dispose()
    assert read_offered(url).empty
    assert write_predictions(url, [row("A", T0 + timedelta(days=1), "unknown", "new", ASKED)]) == 1
    assert read_offered(url)["field"].tolist() == ["budget"]


def frames(rows: list[dict], won: dict[str, bool]) -> tuple[pd.DataFrame, pd.DataFrame]:
    log = pd.DataFrame([{**r, "inputs": json.dumps(r["inputs"]), "rule_score": None} for r in rows])
    log["logged_at"] = pd.to_datetime(log["logged_at"], utc=True)
    found = pd.DataFrame({"lead_id": list(won), "outcome": ["won" if w else "lost" for w in won.values()],
                          "outcome_at": T0 + timedelta(days=60), "first_response_hours": float("nan"),
                          "deal_value": float("nan")})
    return log, found


def test_monitor_compares_leads_whose_question_was_answered_later(tmp_path):
    day = timedelta(days=1)
    rows = [row("A", T0, "unknown", "a1", ASKED), row("A", T0 + day, "high", "a2"),  # answered later
            row("B", T0, None, "b1", ASKED), row("B", T0 + day, "high", "b2"),  # answered later
            row("C", T0, None, "c1", ASKED), row("C", T0 + day, "unknown", "c2"),  # still unknown
            row("D", T0 + day, "low", "d0"), row("D", T0 + 2 * day, None, "d1", ASKED),  # known only before
            row("E", T0, None, "e1", ASKED)]  # never scored again
    url = f"sqlite:///{tmp_path}/log.db"
    write_predictions(url, rows)
    log, found = frames(rows, {"A": True, "B": False, "C": False, "D": True})
    section = monitor(log, found, META, Thresholds(min_leads=1), offered=read_offered(url)).sections["questions"]
    assert section["offered"] == 5
    assert section["fields"] == [{"field": "budget", "offered": 5, "answered": 2,
                                  "matured_answered": 2, "conversion_answered": 0.5,
                                  "matured_unanswered": 2, "conversion_unanswered": 0.5}]
    log, found = frames(rows, {"A": True, "B": True, "C": False, "D": False, "E": False})
    again = monitor(log, found, META, Thresholds(min_leads=1), offered=read_offered(url)).sections["questions"]
    assert again["fields"][0]["conversion_answered"] == 1.0
    assert again["fields"][0]["conversion_unanswered"] == pytest.approx(0.0)


def test_monitor_lists_the_hot_leads_answered_after_their_deadline():
    rows = [{**row(f"H{i}", T0, "high", f"h{i}"), "band": "hot"} for i in range(6)]
    rows.append(row("W", T0, "high", "w"))  # warm: not judged against the hot deadline
    log, found = frames(rows, {"H0": True, "H1": True, "H2": False, "H3": False, "H4": False, "H5": True, "W": False})
    found["first_response_hours"] = [0.5, 0.8, 3.0, 30.0, 2.0, float("nan"), 50.0]
    late = monitor(log, found, META, Thresholds(min_leads=1, hot_deadline_hours=1.0)).sections["late_hot_leads"]
    assert late["late"] == 3 and sorted(r["lead_id"] for r in late["leads"]) == ["H2", "H3", "H4"]
    # on time: 2 of 2 converted; late: 0 of 3, so 3 expected conversions lost at the on-time rate
    assert (late["on_time_rate"], late["late_rate"], late["lost_conversions"]) == (1.0, 0.0, 3.0)
