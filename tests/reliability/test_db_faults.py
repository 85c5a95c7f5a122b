"""The prediction log under database faults: locked, read-only, missing, restored. Row counts are
checked in the database itself: every recorded row arrives exactly once, none is counted twice."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import threading
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from serving.predlog import PredictionLog, write_predictions


def rows(n: int, request: str = "r") -> list[dict]:
    return [{"row_key": f"{request}:{i}", "logged_at": datetime.now(UTC), "request_id": request, "origin": "api",
             "lead_id": f"L{i}", "model_name": "m", "model_version": "1", "dataset": "d", "source": "model",
             "probability": 0.5, "score": 50, "band": "warm", "rule_score": None, "inputs": "{}"} for i in range(n)]


def count(path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("select count(*) from predictions").fetchone()[0]


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def predlog(tmp_path):
    log = PredictionLog(f"sqlite:///{tmp_path}/p.db", spool=tmp_path / "p.spool", batch_seconds=0.1)
    yield log, tmp_path / "p.db"
    log.close()


def test_a_locked_database_delays_rows_but_loses_none_and_counts_every_row_that_waited(predlog):
    log, path = predlog
    log.record(rows(10, "before"))
    log.flush()
    assert log.counters["written"] == 10 and log.counters["spooled"] == 0
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")  # held longer than SQLite's 5 s busy wait
    for request in range(20):
        log.record(rows(10, f"locked{request}"))
    wait_for(lambda: log.counters["write_errors"] >= 1)
    for request in range(5):  # recorded while the writer backs off: into the journal, then the spool
        log.record(rows(10, f"waiting{request}"))
    holder.rollback()
    holder.close()
    wait_for(lambda: log.counters["written"] == 260)
    late = count(path) - 10  # the rows that reached the database after it came back
    assert late == 250 and log.counters["spooled"] == late and log.counters["failed"] == 0
    log.record(rows(10, "after"))  # the database is back: rows no longer wait
    log.flush()
    assert log.counters["written"] == 270 and log.counters["spooled"] == 250


def _freeze(paths, on: bool) -> None:
    """Read-only files: `chattr +i` binds root too; other users get plain permissions."""
    for p in paths:
        if not p.exists():
            continue
        if os.geteuid() == 0 and shutil.which("chattr"):
            subprocess.run(["chattr", "+i" if on else "-i", str(p)], check=True)
        else:
            p.chmod(0o444 if on else 0o644)


def test_a_read_only_database_spools_then_writes_through(predlog):
    log, path = predlog
    log.record(rows(5, "before"))
    log.flush()
    files = [path, path.with_name("p.db-wal"), path.with_name("p.db-shm")]
    _freeze(files, True)
    try:
        log.record(rows(50, "readonly"))
        wait_for(lambda: log.counters["spooled"] == 50)
        assert log.counters["written"] == 5
    finally:
        _freeze(files, False)
    wait_for(lambda: log.counters["written"] == 55)
    assert count(path) == 55 and log.counters["failed"] == 0 and log.counters["spooled"] == count(path) - 5


def test_a_deleted_database_is_recreated_not_written_into_the_void(predlog):
    log, path = predlog
    log.record(rows(20, "first"))
    log.flush()
    assert count(path) == 20
    for name in ("p.db", "p.db-wal", "p.db-shm"):
        path.with_name(name).unlink(missing_ok=True)
    log.record(rows(30, "after"))
    log.flush()
    assert count(path) == 30 and log.counters["written"] == 50  # the new file holds every row since


def test_a_missing_folder_at_start_recovers_when_it_appears(tmp_path):
    folder = tmp_path / "later"
    log = PredictionLog(f"sqlite:///{folder}/p.db", spool=tmp_path / "p.spool", batch_seconds=0.1)
    try:
        assert log.counters["startup_errors"] == 1
        log.record(rows(40))
        wait_for(lambda: log.counters["spooled"] == 40)
        folder.mkdir()
        wait_for(lambda: log.counters["written"] == 40)
        assert count(folder / "p.db") == 40 and log.counters["write_errors"] >= 1
    finally:
        log.close()


def test_rows_left_in_the_spool_by_a_killed_process_are_written_once_at_the_next_start(tmp_path):
    url, spool = f"sqlite:///{tmp_path}/p.db", tmp_path / "p.spool"
    first = PredictionLog(url, spool=spool, batch_seconds=3600)  # never drains on its own: a killed worker
    first.record(rows(25, "killed"))
    assert spool.stat().st_size > 0
    write_predictions(url, rows(10, "killed"))  # some were written before the kill: no duplicates
    second = PredictionLog(url, spool=spool, batch_seconds=0.1)
    try:
        wait_for(lambda: second.counters["written"] == 25)
        assert count(tmp_path / "p.db") == 25
    finally:
        second.close()


def test_write_predictions_is_idempotent_and_creates_the_table(tmp_path):
    url = f"sqlite:///{tmp_path}/batch.db"
    assert write_predictions(url, rows(7, "batch")) == 7
    assert write_predictions(url, rows(7, "batch")) == 0
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(distinct row_key) from predictions")).scalar() == 7
    engine.dispose()


def test_a_table_created_meanwhile_by_another_writer_is_not_an_error(tmp_path):
    """Dask workers log side by side: between one's check and its CREATE TABLE, another creates the table
    (CI met this race once). The write goes ahead into the table that is now there."""
    from training.loop.store import predictions

    url = f"sqlite:///{tmp_path}/race.db"

    raced = []

    def other_writer_first(*_args, **_kwargs):
        if not raced:  # the other worker: its own check, create and insert, all before ours
            raced.append(True)
            assert write_predictions(url, rows(3, "other")) == 3

    sa.event.listen(predictions, "before_create", other_writer_first)
    try:
        assert write_predictions(url, rows(4, "batch")) == 4
    finally:
        sa.event.remove(predictions, "before_create", other_writer_first)
    assert raced
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from predictions")).scalar() == 7
    engine.dispose()


def test_a_full_spool_drops_rows_and_counts_them(tmp_path):
    log = PredictionLog(f"sqlite:///{tmp_path}/none/p.db", spool=tmp_path / "p.spool", max_spool_bytes=1 << 16,
                        batch_seconds=0.1)
    try:
        for request in range(200):  # about 300 bytes a row: the spool fills after ~200 rows
            log.record(rows(5, f"r{request}"))
        log.flush()
        waiting = sum(len(p.read_bytes().splitlines()) for p in tmp_path.glob("p.spool*"))
        assert 0 < log.counters["failed"] < 1000 and log.counters["failed"] + waiting == 1000
    finally:
        log.close()


def test_close_writes_what_is_queued(tmp_path):
    log = PredictionLog(f"sqlite:///{tmp_path}/p.db", spool=tmp_path / "p.spool", batch_seconds=3600)
    threads = [threading.Thread(target=log.record, args=(rows(10, f"t{i}"),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    assert count(tmp_path / "p.db") == 80
