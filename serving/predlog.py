"""Prediction log writer of the service: every answered lead reaches the database, or waits in a spool.

`record` appends the rows to a local journal file (one JSON line per row, handed to the operating
system before the answer leaves, so a killed worker loses nothing already answered) and returns. A
background thread moves the journal aside once a second and inserts it in one transaction; on failure
(database locked, read-only, missing, unreachable) the file stays as a spool and is retried with
exponential backoff until the database takes it. Rows are keyed (`row_key`), so a retry or a replay after
a restart never duplicates a row. The spool is bounded (`max_spool_bytes`): beyond it rows are counted
as failed. Counters: written, spooled (every row written to the spool while the database was failing:
the rows waiting when a write failed and every row recorded until a write succeeded again; after recovery
they are the rows that reached the database late), failed (rows dropped), write_errors (failed attempts)
and startup_errors (the database unusable at start), reported by GET /model.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from training.loop.store import JOURNALED, create_tables, insert_rows, open_engine, predictions, write_predictions

__all__ = ["PredictionLog", "predictions", "write_predictions"]
log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 30.0


class PredictionLog:
    """`record` never raises and never waits for the database; `flush` writes what is waiting."""

    def __init__(self, url: str, spool: str | Path = "predictions.spool", max_spool_bytes: int = 64 << 20,
                 batch_seconds: float = 1.0):
        self.url = url
        self.counters = {"written": 0, "spooled": 0, "failed": 0, "write_errors": 0, "startup_errors": 0}
        self._spool = Path(spool).resolve()
        self._max_bytes = max_spool_bytes
        self._batch_seconds = batch_seconds
        self._lock = threading.Lock()  # guards the journal file and the byte count
        self._drain_lock = threading.Lock()  # one drain at a time (thread or flush)
        self._journal = None
        self._bytes = sum(p.stat().st_size for p in self._files())  # leftovers of a previous process
        self._counted: set[str] = set()  # spool files already counted as spooled
        self._rows: dict[str, int] = {}  # rows per spool file moved aside by this process
        self._journal_rows = 0  # rows in the journal file now
        self._waiting = False  # a write failed and none has succeeded since: new rows wait in the spool
        self._engine = None
        self._backoff = 0.0
        self._stop = threading.Event()
        if not self._connect():
            self.counters["startup_errors"] += 1
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    @property
    def written(self) -> int:
        return self.counters["written"]

    @property
    def failures(self) -> int:
        return self.counters["failed"] + self.counters["write_errors"] + self.counters["startup_errors"]

    def record(self, rows: list[dict]) -> None:
        data = "".join(json.dumps({c: _plain(row.get(c)) for c in JOURNALED}, ensure_ascii=False) + "\n"
                       for row in rows).encode("utf-8")
        with self._lock:
            if self._bytes + len(data) > self._max_bytes:
                self.counters["failed"] += len(rows)
                log.error("prediction log spool full (%d bytes): %d row(s) dropped", self._bytes, len(rows))
                return
            try:
                if self._journal is None:
                    self._journal = open(self._spool, "ab")  # noqa: SIM115 - kept open between requests
                self._journal.write(data)
                self._journal.flush()  # in the operating system's hands: survives a killed process
                self._bytes += len(data)
                self._journal_rows += len(rows)
            except OSError as exc:
                self.counters["failed"] += len(rows)
                log.error("prediction log spool not writable: %d row(s) dropped (%s)", len(rows), type(exc).__name__)

    def flush(self) -> None:
        self._drain()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    # -- background ----------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.wait(self._backoff or self._batch_seconds):
            self._drain()
        self._drain()

    def _files(self) -> list[Path]:
        pending = sorted(self._spool.parent.glob(self._spool.name + ".*.pending"))
        return pending + ([self._spool] if self._spool.exists() else [])

    def _rotate(self) -> None:
        """Move the journal aside (new rows go to a fresh one) so the writer reads a closed file."""
        with self._lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None
            if self._spool.exists() and self._spool.stat().st_size:
                moved = self._spool.with_name(f"{self._spool.name}.{time.time_ns()}.pending")
                self._spool.rename(moved)
                self._rows[moved.name], self._journal_rows = self._journal_rows, 0
                if self._waiting:  # recorded while the database was failing: these rows waited in the spool
                    self._count_spooled(moved)

    def _drain(self) -> None:
        with self._drain_lock:
            try:
                self._rotate()
            except OSError as exc:
                log.error("prediction log spool cannot be rotated: %s", type(exc).__name__)
                return
            pending = [path for path in self._files() if path != self._spool]
            for path in pending:
                if not self._write_file(path):
                    self._waiting = True
                    for waiting in pending:  # this file and every one behind it wait for the database
                        if waiting.exists():
                            self._count_spooled(waiting)
                    self._backoff = min(MAX_BACKOFF_SECONDS, max(0.5, self._backoff * 2))
                    return
            self._backoff, self._waiting = 0.0, False

    def _write_file(self, path: Path) -> bool:
        rows, size = _read_rows(path), path.stat().st_size
        try:
            if (self._engine is None or self._database_gone()) and not self._connect():
                raise ConnectionError("database unavailable")
            with self._engine.begin() as connection:
                insert_rows(connection, rows)
        except Exception as exc:  # locked, read-only, unreachable: the file waits and is retried
            self.counters["write_errors"] += 1
            log.error("prediction log: %d row(s) wait in the spool (%s)", len(rows), type(exc).__name__)
            return False
        path.unlink()
        self._counted.discard(path.name)
        self._rows.pop(path.name, None)
        with self._lock:
            self._bytes -= size
        self.counters["written"] += len(rows)
        return True

    def _count_spooled(self, path: Path) -> None:
        """Count the rows of a spool file once, however often its write is retried."""
        if path.name in self._counted:
            return
        rows = self._rows.get(path.name)
        if rows is None:  # left by an earlier process
            rows = path.read_bytes().count(b"\n")
        self._counted.add(path.name)
        self.counters["spooled"] += rows

    def _connect(self) -> bool:
        """(Re)create the engine and the tables; False when the database cannot be used now."""
        try:
            if self._engine is not None:
                self._engine.dispose()
            self._engine = open_engine(self.url)
            create_tables(self._engine)
            return True
        except Exception as exc:
            from features.load import safe_url  # pandas comes with it: imported only when needed

            self._engine = None
            log.error("prediction log database unavailable (%s): %s", safe_url(self.url), type(exc).__name__)
            return False

    def _database_gone(self) -> bool:
        """A deleted SQLite file would swallow writes through the open connection: reconnect instead."""
        database = self._engine.url.database if self._engine.dialect.name == "sqlite" else None
        return bool(database) and database != ":memory:" and not os.path.exists(database)


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _read_rows(path: Path) -> list[dict]:
    rows = []
    for line in path.read_bytes().splitlines():
        try:
            row = json.loads(line)
        except ValueError:  # a line cut short by a crash of the machine: nothing to recover
            continue
        row["logged_at"] = datetime.fromisoformat(row["logged_at"]) if row.get("logged_at") else datetime.now(UTC)
        rows.append(row)
    return rows

