"""`leadscore activities import`: the leads' activity events into the loop's database, idempotently.

Each event's key is a hash of (lead id, time, type, channel): importing the same file twice, or two
exports that overlap, stores each event once. Rows are checked as the build checks an activity table
(features/activity_load.py): times with and without a zone side by side, unparsable times and a
missing column stop the import with one line; events dated in the future, duplicates and rows without
lead, time or type are counted and left out. Everything is written in one transaction: an import that
fails leaves the table as it was.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from features.activity_load import ActivityReport, normalise_events
from features.errors import LeadscoreError
from features.load import load_table, require_columns, safe_url, source_from_options
from features.messages import Line, Say, say_nothing, warn_all
from features.relations_spec import ActivitiesSpec
from training.loop.store import activities, create_tables, open_engine

DEFAULT_COLUMNS = {"lead_id": "lead_id", "at": "occurred_at", "type": "activity_type", "channel": "channel"}


@dataclass
class ActivityImport:
    rows: int
    inserted: int
    already_there: int
    checks: ActivityReport


def row_key(lead: str, at: pd.Timestamp, kind: str, channel: str | None) -> str:
    text = "\x1f".join([lead, at.isoformat(), kind, channel or ""])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def activity_columns(spec_path: Path | None) -> dict:
    """The activity table's column names: the spec's `activities` keys, else the synthetic export's."""
    if spec_path is None:
        return dict(DEFAULT_COLUMNS)
    from features.spec import load_spec

    spec = load_spec(spec_path)
    if spec.activities is None:
        raise LeadscoreError(f"{spec_path}: the spec declares no 'activities'; add them or leave out --spec")
    act = spec.activities
    return {"lead_id": act.lead_id, "at": act.at, "type": act.type, "channel": act.channel,
            "timezone": act.timezone, "date_format": act.date_format}


def import_activities(db_url: str, path: str | None = None, sql=None, columns: dict | None = None) -> ActivityImport:
    """Insert the events not stored yet, in one transaction; returns what was read, new and left out."""
    columns = {k: v for k, v in (columns or DEFAULT_COLUMNS).items() if v is not None}
    source = path if path is not None else safe_url(sql.url)
    table = load_table(path, sql, "activities")
    spec = ActivitiesSpec(path=path or "sql", **columns)
    needed = [spec.lead_id, spec.at, spec.type] + ([spec.channel] if spec.channel else [])
    require_columns(table, needed, source, "activities import (--spec's activities: lead_id, at, type)")
    events, checks = normalise_events(table, spec, source)
    if "channel" in events:  # an event without a channel is stored with none (NULL), not pandas' NA
        events["channel"] = events["channel"].astype(object).where(events["channel"].notna(), None)
    now = datetime.now(UTC)
    rows = [{"row_key": row_key(r.lead, r.at, r.type, getattr(r, "channel", None)), "lead_id": r.lead,
             "occurred_at": r.at.to_pydatetime(), "activity_type": r.type,
             "channel": getattr(r, "channel", None), "imported_at": now}
            for r in events.itertuples(index=False)]
    engine = open_engine(db_url)
    try:
        create_tables(engine, activities)
        with engine.begin() as connection:  # one transaction: all or nothing
            inserted = insert_new(connection, rows)
    except sa.exc.SQLAlchemyError as exc:
        message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise LeadscoreError(f"{safe_url(db_url)}: import failed, nothing was changed: {message}") from None
    finally:
        engine.dispose()
    return ActivityImport(rows=len(table), inserted=inserted, already_there=len(rows) - inserted, checks=checks)


def insert_new(connection: sa.Connection, rows: list[dict]) -> int:
    """Insert rows whose key is new; rows already stored are skipped (any database)."""
    fresh, keys = [], [r["row_key"] for r in rows]
    present: set[str] = set()
    for start in range(0, len(keys), 500):
        present |= set(connection.scalars(sa.select(activities.c.row_key).where(
            activities.c.row_key.in_(keys[start:start + 500]))))
    fresh = [r for r in rows if r["row_key"] not in present]
    if fresh:
        connection.execute(activities.insert(), fresh)
    return len(fresh)


def stored_activities(db_url: str, lead_ids: list[str] | None = None) -> pd.DataFrame:
    """The stored events of some leads (None: of every lead) as (lead, at, type, channel): what retraining
    reads. No activity table yet: no events."""
    engine = open_engine(db_url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table(activities.name):
                return pd.DataFrame({"lead": pd.Series(dtype="string"), "at": pd.Series(dtype="datetime64[ns]"),
                                     "type": pd.Series(dtype="string"), "channel": pd.Series(dtype=object)})
            query = sa.select(activities.c.lead_id, activities.c.occurred_at, activities.c.activity_type,
                              activities.c.channel)
            if lead_ids is not None:
                query = query.where(activities.c.lead_id.in_(lead_ids))
            frame = pd.read_sql(query, connection)
    except sa.exc.SQLAlchemyError as exc:
        message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise LeadscoreError(f"{safe_url(db_url)}: cannot read the imported activities: {message}") from None
    finally:
        engine.dispose()
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"]).astype("datetime64[ns]")
    return frame.rename(columns={"lead_id": "lead", "occurred_at": "at", "activity_type": "type"})


def events_as_of(connection: sa.Connection, wanted: list[tuple[int, str, datetime]]) -> list[tuple]:
    """The stored events of each (key, lead id, as-of time), only those at or before that time, in one
    query for the whole batch: the triples travel as a VALUES list joined to the table, so the as-of cut is
    made by the database. Rows: (key, occurred_at, type, channel); times naive UTC."""
    if not wanted:
        return []
    asked = sa.values(sa.column("k", sa.Integer), sa.column("lead_id", sa.String), sa.column("as_of", sa.DateTime),
                      name="wanted").data(wanted).cte("wanted")
    query = sa.select(asked.c.k, activities.c.occurred_at, activities.c.activity_type, activities.c.channel) \
        .join(activities, sa.and_(activities.c.lead_id == asked.c.lead_id, activities.c.occurred_at <= asked.c.as_of))
    return [tuple(row) for row in connection.execute(query)]


def run_activities_import(db: str | None, input: Path | None = None, sql_url: str | None = None,
                          sql_query: str | None = None, spec: Path | None = None,
                          say: Say = say_nothing) -> ActivityImport:
    """`leadscore activities import`: then what was new, already stored and left out."""
    from training.loop.store import database_url

    path, sql = source_from_options(input, sql_url, sql_query)
    report = import_activities(database_url(db), path, sql, activity_columns(spec))
    say(Line(f"{report.rows:,} activity rows: {report.inserted:,} new, {report.already_there:,} already stored, "
             f"{report.rows - report.inserted - report.already_there:,} left out"))
    warn_all(say, report.checks.warnings())
    return report
