"""Leads' activities read from the loop database (`leadscore activities import`) instead of the request,
when the service config's `activities_from_db` is on.

A lead that carries `activities` (a list, [] included) is scored with them. A lead without (or with
null), that holds the model's id field,
gets the stored events of that id at or before its prediction time (its `as_of`, else the request's
time, written into the lead so the features and the prediction log use that same time). All leads of a
request are read in one query; the as-of cut is made by the database (training/loop/activities.py).

A database fault never fails the request, as with the prediction log (serving/predlog.py): the leads
that needed the table are answered by the rules (`fallback_reason` "activities_unavailable") and the
fault is counted (GET /model) and logged with the error's kind, never a lead's value. Scoring them as
leads that did nothing would be a wrong answer that looks right; a 503 would also refuse the leads that
brought their own activities.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from features.activities import event_time
from features.context import ACTIVITIES_FIELD, now_utc

log = logging.getLogger(__name__)
ACTIVITIES_UNAVAILABLE = "activities_unavailable"
_EPOCH = datetime(1970, 1, 1)
CONNECT_SECONDS = 5  # PostgreSQL: how long a request waits to connect before the rules answer its leads


class StoredActivities:
    """Reads a request's missing activities from the loop database; `counters` for GET /model."""

    def __init__(self, url: str):
        self.url = url
        self.counters: dict = {"leads_read": 0, "events_read": 0, "read_errors": 0, "last_read_error": None}
        self._engine: sa.Engine | None = None
        self._lock = threading.Lock()

    def engine(self) -> sa.Engine:
        with self._lock:
            if self._engine is None:
                from training.loop.store import open_engine

                url = sa.make_url(self.url)
                if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
                    # a request waits for this read: an unreachable server must fail it soon, not hang it
                    url = url.update_query_dict({"connect_timeout": str(CONNECT_SECONDS)})
                self._engine = open_engine(url.render_as_string(hide_password=False))
            return self._engine

    def fill(self, leads: Sequence[Mapping[str, object]], id_field: str | None
             ) -> tuple[list[Mapping[str, object]], frozenset[int]]:
        """The leads with their stored activities (and as_of) filled in where they sent none, and the
        positions of leads that needed the table when it could not be read."""
        from training.loop.activities import events_as_of

        default = None
        wanted: list[tuple[int, str, datetime]] = []
        for i, lead in enumerate(leads):
            key = lead.get(id_field) if id_field else None
            if lead.get(ACTIVITIES_FIELD) is not None or key is None or isinstance(key, list | tuple | dict):
                continue
            if lead.get("as_of") is not None:
                at = event_time(lead["as_of"], f"leads.{i}.as_of")  # a bad time is the caller's 422, as before
            else:
                default = default if default is not None else event_time(now_utc(), "as_of")
                at = default
            wanted.append((i, str(key), _EPOCH + timedelta(microseconds=int(at) // 1000)))
        if not wanted:
            return list(leads), frozenset()
        try:
            with self.engine().connect() as connection:
                rows = events_as_of(connection, wanted)
        except Exception as exc:  # unreachable, locked, missing table, bad URL: the rules answer these leads
            self.counters["read_errors"] += 1
            self.counters["last_read_error"] = _kind(exc)
            log.warning("activity table not read (%s): %d lead(s) answered by the rules", _kind(exc), len(wanted))
            return list(leads), frozenset(i for i, _, _ in wanted)
        events: dict[int, list[dict]] = {i: [] for i, _, _ in wanted}
        for i, at, kind, channel in rows:
            events[i].append({"at": _naive(at).isoformat(), "type": kind, "channel": channel})
        out = list(leads)
        for i, _, as_of in wanted:
            out[i] = {**leads[i], ACTIVITIES_FIELD: events[i], "as_of": leads[i].get("as_of") or as_of.isoformat()}
        self.counters["leads_read"] += len(wanted)
        self.counters["events_read"] += len(rows)
        return out, frozenset()

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


def _naive(value: object) -> datetime:
    """A stored time as naive UTC (SQLite gives text back for a VALUES-joined query on some versions)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=None) if value.tzinfo is not None else value


def _kind(exc: Exception) -> str:
    """What went wrong, without values: the error's class, and the driver's first line for faults of the
    database itself (connection, lock, missing table), whose messages name no value."""
    orig = getattr(exc, "orig", None)
    if isinstance(exc, sa.exc.OperationalError | sa.exc.ProgrammingError) and orig is not None:
        return f"{type(exc).__name__}: {str(orig).splitlines()[0][:200]}"
    return type(exc).__name__
