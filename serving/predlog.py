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
    sa.Column("row_key", sa.String(160), unique=True, nullable=False),  # "<request_id>:<index>"
    sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("request_id", sa.String(64), index=True),
    sa.Column("origin", sa.String(8), nullable=False),  # 'api' | 'batch' | 'page'
    sa.Column("lead_id", sa.String(128), index=True),
    sa.Column("model_name", sa.String(128)),
    sa.Column("model_version", sa.String(64)),
    sa.Column("dataset", sa.String(128)),
    sa.Column("source", sa.String(16)),  # 'model' | 'rules'
    sa.Column("probability", sa.Float),
    sa.Column("score", sa.Integer),
    sa.Column("band", sa.String(16)),
    sa.Column("rule_score", sa.Float),
    sa.Column("inputs", sa.Text),  # JSON of the model's input fields only: never personal data
)


def _prepare(rows: list[dict], origin: str = "api") -> list[dict]:
    """Fill the row key, time and origin; inputs as JSON."""
    for index, row in enumerate(rows):
        row.setdefault("logged_at", datetime.now(UTC))
        row.setdefault("origin", origin)
        row.setdefault("row_key", f"{row.get('request_id')}:{index}")
        if isinstance(row.get("inputs"), dict):
            row["inputs"] = json.dumps(row["inputs"], ensure_ascii=False, default=str)
    return rows


def write_predictions(url: str, rows: list[dict]) -> int:
    """Write rows synchronously in one transaction, skipping row keys already logged; returns rows written.

    Used by batch scoring, where the caller waits anyway and must know that the log was written."""
    rows = _prepare(rows, origin="batch")
    engine = sa.create_engine(url)
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            keys = [r["row_key"] for r in rows]
            known: set[str] = set()
            for start in range(0, len(keys), 5_000):  # bounded IN lists
                known |= set(connection.scalars(sa.select(predictions.c.row_key).where(
                    predictions.c.row_key.in_(keys[start:start + 5_000]))))
            fresh = [r for r in rows if r["row_key"] not in known]
            if fresh:
                connection.execute(predictions.insert(), fresh)
        return len(fresh)
    finally:
        engine.dispose()


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
        self._queue.put(_prepare(rows))

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
