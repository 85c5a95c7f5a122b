"""`activities_from_db`: a real `leadscore serve` over HTTP reads the activities of leads sent without them
from the loop database (SQLite), as of each lead's `as_of`, in one query per request; a lead that sends
its activities keeps them; a database fault is answered by the rules, never a 500."""

from __future__ import annotations

import json
import sqlite3
import time

import httpx
import pandas as pd
import pytest
import sqlalchemy as sa

from training.loop.activities import import_activities

TOKEN = "t0ken"


@pytest.fixture(scope="module")
def loop_db(tmp_path_factory, synthetic_dir, engaged_leads):
    """The loop database with every stored event of the engaged leads, those after their as_of included."""
    folder = tmp_path_factory.mktemp("activities-db")
    events = pd.read_csv(synthetic_dir / "activities.csv")
    ids = {lead["lead_id"] for lead in engaged_leads}
    mine = events[events["lead_id"].isin(ids)]
    mine.to_csv(folder / "mine.csv", index=False)
    url = f"sqlite:///{folder}/predictions.db"
    report = import_activities(url, str(folder / "mine.csv"))
    assert report.inserted > 0
    return folder, url


@pytest.fixture(scope="module")
def db_server(registry, loop_db):
    """`leadscore serve` with `activities_from_db: true` in its service config."""
    from serving.launch import running_service

    uri, _ = registry
    folder, url = loop_db
    (folder / "service.yaml").write_text("activities_from_db: true\n")
    env = {"MLFLOW_TRACKING_URI": uri, "LEADSCORE_API_TOKEN": TOKEN,
           "LEADSCORE_MODEL_URI": "models:/leadscore-synthetic@champion", "LEADSCORE_PREDICTION_DB": url,
           "LEADSCORE_SERVICE_CONFIG": str(folder / "service.yaml")}
    try:
        with running_service(env, cwd=folder, log=folder / "server.log") as base:
            yield base, folder
    except RuntimeError as exc:
        pytest.fail(f"{exc}:\n" + (folder / "server.log").read_text())


def predict(base: str, leads: list[dict], **extra) -> httpx.Response:
    return httpx.post(f"{base}/predict", json={"leads": leads, **extra},
                      headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)


def without_activities(lead: dict) -> dict:
    return {k: v for k, v in lead.items() if k != "activities"}


def stored_count(folder, lead_id: str) -> int:
    with sqlite3.connect(folder / "predictions.db") as connection:
        return connection.execute("select count(*) from activities where lead_id = ?", (lead_id,)).fetchone()[0]


def test_sent_and_stored_activities_give_the_same_answer(db_server, engaged_leads):
    base, folder = db_server
    engaged = [lead for lead in engaged_leads if lead["activities"]][:5]
    assert len(engaged) == 5
    sent = predict(base, engaged, reasons=10)
    stored = predict(base, [without_activities(lead) for lead in engaged], reasons=10)
    assert sent.status_code == 200 and stored.status_code == 200, stored.text
    for a, b in zip(sent.json()["results"], stored.json()["results"], strict=True):
        assert a["source"] == b["source"] == "model"
        assert (a["probability"], a["score"], a["band"], a["reasons"]) == \
               (b["probability"], b["score"], b["band"], b["reasons"])
    model = httpx.get(f"{base}/model", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    read = model["counters"]["stored_activities"]
    assert read["leads_read"] >= 5 and read["events_read"] >= sum(len(lead["activities"]) for lead in engaged)
    assert not {"activities", "as_of"} & set(stored.json()["unknown_fields"])
    logged = {body["request_id"]: logged_inputs(folder, body["request_id"], len(engaged))
              for body in (sent.json(), stored.json())}
    assert logged[sent.json()["request_id"]] == logged[stored.json()["request_id"]]  # the log saw what was scored
    assert any("pricing" in key for key in json.loads(logged[stored.json()["request_id"]][0]))


def logged_inputs(folder, request_id: str, rows: int, seconds: float = 30) -> list[str]:
    """The prediction log's inputs of a request, in order, once the service has written them."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with sqlite3.connect(folder / "predictions.db") as connection:
            found = [r[0] for r in connection.execute(
                "select inputs from predictions where request_id = ? order by row_key", (request_id,))]
        if len(found) == rows:
            return found
        time.sleep(0.2)
    raise AssertionError(f"request {request_id}: {len(found)} of {rows} rows logged")


def test_stored_events_after_as_of_are_ignored(db_server, engaged_leads):
    """The table holds events after the lead's as_of (its later history): they change nothing, though
    the same events counted by a later as_of change the score."""
    base, folder = db_server
    later = [lead for lead in engaged_leads
             if stored_count(folder, lead["lead_id"]) > len(lead["activities"]) > 0]
    assert later, "the synthetic export has leads with events after their prediction time"
    lead = later[0]
    stored = predict(base, [without_activities(lead)]).json()["results"][0]
    sent = predict(base, [lead]).json()["results"][0]
    assert stored["probability"] == sent["probability"]
    everything_later = {**without_activities(lead), "as_of": "2099-01-01T00:00:00"}
    far = predict(base, [everything_later]).json()["results"][0]
    assert far["probability"] != stored["probability"]


def test_a_batch_mixes_sent_and_stored_activities(db_server, engaged_leads, sample_leads):
    """Lead 1 sends [] (no activity, though the table has some), lead 2 reads the table, lead 3 has an id
    the table does not know: scored as a lead with no activity."""
    base, _ = db_server
    lead = next(lead for lead in engaged_leads if lead["activities"])
    unknown = {**without_activities(lead), "lead_id": "not-in-the-table"}
    body = predict(base, [{**lead, "activities": []}, without_activities(lead), unknown]).json()
    empty, stored, nothing = body["results"]
    assert stored["probability"] == predict(base, [lead]).json()["results"][0]["probability"]
    assert empty["probability"] == nothing["probability"] != stored["probability"]


def test_the_document_says_both_ways(db_server):
    base, _ = db_server
    document = httpx.get(f"{base}/docs.json").json()
    text = str(document)
    assert "activity table" in text and "activities_unavailable" in text


def test_a_database_fault_is_answered_by_the_rules_not_a_500(db_server, engaged_leads):
    """The activity table gone: leads that needed it get the rules' answer (fallback_reason
    activities_unavailable), a lead that sent its activities is still scored by the model, the fault is
    counted and logged without a value; once the table is back, the model answers again."""
    base, folder = db_server
    lead = next(lead for lead in engaged_leads if lead["activities"])
    with sqlite3.connect(folder / "predictions.db") as connection:
        connection.execute("alter table activities rename to activities_away")
    try:
        response = predict(base, [lead, without_activities(lead)])
        assert response.status_code == 200, response.text
        sent, stored = response.json()["results"]
        assert sent["source"] == "model" and sent["fallback_reason"] is None
        assert stored["source"] == "rules" and stored["fallback_reason"] == "activities_unavailable"
        assert stored["score"] is not None and stored["band"] in ("hot", "warm", "cold")
        model = httpx.get(f"{base}/model", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        counters = model["counters"]
        assert counters["stored_activities"]["read_errors"] == 1
        assert "no such table" in counters["stored_activities"]["last_read_error"]
        assert counters["fallbacks"]["activities_unavailable"] == 1
        assert httpx.get(f"{base}/readyz").status_code == 200  # the model is fine: still ready
    finally:
        with sqlite3.connect(folder / "predictions.db") as connection:
            connection.execute("alter table activities_away rename to activities")
    again = predict(base, [without_activities(lead)]).json()["results"][0]
    assert again["source"] == "model"
    log = (folder / "server.log").read_text()
    assert "activity table not read" in log
    assert lead["lead_id"] not in log and lead["as_of"] not in log


def test_one_query_per_request_with_the_as_of_cut_in_sql(loop_db, engaged_leads):
    from serving.stored_activities import StoredActivities

    _, url = loop_db
    source = StoredActivities(url)
    statements: list[str] = []
    sa.event.listen(source.engine(), "before_cursor_execute",
                    lambda conn, cursor, statement, *args: statements.append(statement))
    try:
        leads = [without_activities(lead) for lead in engaged_leads[:20]]
        filled, unread = source.fill(leads, "lead_id")
    finally:
        source.close()
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) == 1 and "occurred_at <=" in selects[0] and not unread
    for lead, out in zip(engaged_leads[:20], filled, strict=True):
        assert sorted(a["at"] for a in out["activities"]) == sorted(
            pd.Timestamp(a["at"]).isoformat() for a in lead["activities"])
