"""Prediction log: every scored lead, in a real database through SQLAlchemy (SQLite by default).

Writes happen on a background thread in batches (one insert a second at most: each insert holds the
interpreter for a few milliseconds, so fewer of them keep the latency tail short), so logging adds
microseconds to a request; a
failing write never fails a prediction: it is counted and reported by GET /model. Only model
features are stored from the inputs, so personal data never reaches the log.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from features.load import safe_url

log = logging.getLogger(__name__)
metadata = sa.MetaData()
predictions = sa.Table(
    "predictions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False, index=True),
    sa.Column("lead_id", sa.String(128)),
    sa.Column("model_version", sa.String(64)),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("probability", sa.Float),
    sa.Column("score", sa.Integer),  # null: no model answer and no rule table to fall back on
    sa.Column("band", sa.String(16)),
    sa.Column("rule_score", sa.Float),
    sa.Column("inputs", sa.Text),
)


class PredictionLog:
    """Batched, non-blocking writer. `record` never raises; `flush` waits for pending rows."""

    def __init__(self, url: str, batch_seconds: float = 1.0):
        self.url = url
        self.failures = 0
        self.written = 0
        self._queue: queue.Queue = queue.Queue()
        self._batch_seconds = batch_seconds
        self._engine = None
        try:
            self._engine = sa.create_engine(url)
            if self._engine.dialect.name == "sqlite":
                sa.event.listen(self._engine, "connect", _sqlite_wal)
            metadata.create_all(self._engine)
        except Exception as exc:  # the service still answers; the log reports it
            self.failures += 1
            log.error("prediction log unavailable (%s): %s", safe_url(url), type(exc).__name__)
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    def record(self, rows: list[dict]) -> None:
        for row in rows:
            row.setdefault("logged_at", datetime.now(UTC))
            if isinstance(row.get("inputs"), dict):
                row["inputs"] = json.dumps(row["inputs"], ensure_ascii=False, default=str)
        self._queue.put(rows)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._queue.task_done()
                return
            rows, gets, stop = list(first), 1, False
            deadline = time.monotonic() + self._batch_seconds
            while (left := deadline - time.monotonic()) > 0:  # gather a second's rows into one insert
                try:
                    more = self._queue.get(timeout=left)
                except queue.Empty:
                    break
                gets += 1
                if more is None:
                    stop = True
                    break
                rows.extend(more)
            self._write(rows)
            for _ in range(gets):
                self._queue.task_done()
            if stop:
                return

    def _write(self, rows: list[dict]) -> None:
        if not rows:
            return
        try:
            if self._engine is None:
                raise RuntimeError("no database")
            with self._engine.begin() as connection:
                connection.execute(predictions.insert(), rows)
            self.written += len(rows)
        except Exception as exc:
            self.failures += len(rows)
            log.error("prediction log write failed for %d row(s): %s", len(rows), type(exc).__name__)

    def flush(self) -> None:
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)


def _sqlite_wal(connection, _record) -> None:
    """WAL and normal sync: a commit no longer waits for a full fsync, and readers never block the writer."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
