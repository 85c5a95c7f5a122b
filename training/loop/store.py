"""The loop's database: every table on one MetaData (the prediction log, imported outcomes, monitor reports,
offered questions, activity events), its URL default, the one engine opener, and a synchronous idempotent
writer of the log for batch jobs.

One row per scored lead. `row_key` is "<request_id>:<index in request>": inserting the same row twice
(a retry, a replayed spool file) is a no-op, so the log never counts a lead twice. `inputs` holds the
model's input fields only, never personal data. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from features.errors import LeadscoreError
from features.load import safe_url

DEFAULT_PREDICTION_DB = "sqlite:///predictions.db"


def database_url(db: str | None) -> str:
    """The loop's database for batch scoring, the loop commands and the service: --db, else
    LEADSCORE_PREDICTION_DB, else the default."""
    return db or os.environ.get("LEADSCORE_PREDICTION_DB") or DEFAULT_PREDICTION_DB


metadata = sa.MetaData()
predictions = sa.Table(
    "predictions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("row_key", sa.String(160), nullable=False, unique=True),
    sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("request_id", sa.String(64), index=True),
    sa.Column("origin", sa.String(8), nullable=False),  # 'api' | 'batch' | 'page'
    sa.Column("lead_id", sa.String(128), index=True),
    sa.Column("model_name", sa.String(128)),  # null when the rules answered without a model
    sa.Column("model_version", sa.String(64)),
    sa.Column("dataset", sa.String(128)),  # the spec the model was trained on
    sa.Column("source", sa.String(16)),  # 'model' | 'rules'
    sa.Column("probability", sa.Float),
    sa.Column("score", sa.Integer),
    sa.Column("band", sa.String(16)),
    sa.Column("rule_score", sa.Float),
    sa.Column("inputs", sa.Text),
)
outcomes = sa.Table(
    "outcomes", metadata,
    sa.Column("lead_id", sa.String(128), primary_key=True),
    sa.Column("outcome", sa.String(8), nullable=False),  # 'won' | 'lost'
    sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("first_response_hours", sa.Float),
    sa.Column("deal_value", sa.Float),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
)
# What `leadscore monitor` found, kept for the service's page.
monitor_reports = sa.Table(
    "monitor_reports", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("model_name", sa.String(128)),
    sa.Column("breaches", sa.Integer, nullable=False),
    sa.Column("report", sa.Text, nullable=False),  # JSON of MonitorResult: figures only, no lead data
)
# The leads' activity events (`leadscore activities import`, training/loop/activities.py).
activities = sa.Table(
    "activities", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("row_key", sa.String(64), nullable=False, unique=True),
    sa.Column("lead_id", sa.String(128), nullable=False, index=True),
    sa.Column("occurred_at", sa.DateTime, nullable=False),  # naive UTC
    sa.Column("activity_type", sa.String(128), nullable=False),
    sa.Column("channel", sa.String(64)),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
)
COLUMNS = tuple(c.name for c in predictions.columns if c.name != "id")
# The questions worth asking a logged answer offered (training/explain/questions.py): one row per question,
# keyed "<the prediction's row_key>:<field>", so a replayed row adds nothing. Field names and figures only.
offered_questions = sa.Table(
    "offered_questions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("row_key", sa.String(300), nullable=False, unique=True),
    sa.Column("prediction_key", sa.String(160), nullable=False, index=True),
    sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("origin", sa.String(8), nullable=False),
    sa.Column("lead_id", sa.String(128), index=True),
    sa.Column("field", sa.String(128), nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),  # 1: the question offered first
    sa.Column("expected_change", sa.Float),  # score points
    sa.Column("crosses_band", sa.Boolean),
)
QUESTIONS_KEY = "questions"  # a log row's offered questions ({field, expected_change, crosses_band}), if any
JOURNALED = (*COLUMNS, QUESTIONS_KEY)  # what a row keeps in the service's journal (serving/predlog.py)
BATCH_WAIT_SECONDS = 120.0  # Dask workers log their partitions side by side: SQLite lets one write at a time


_CREATE_ATTEMPTS = 6  # about a second in all: another writer's CREATE TABLE takes milliseconds
_WAL_ATTEMPTS = 100  # two seconds at most: another connection switching the file to WAL takes milliseconds


def open_engine(url: str, wait_seconds: float = 5.0) -> sa.Engine:
    """The one way to the loop's database, for the service, batch logging, outcomes, monitor and retrain.

    SQLite gets a fresh connection per write (once a second at most): a file made read-only, replaced or
    deleted meanwhile is seen as it is now, not through a stale open handle; and WAL, so readers never
    block the writer. `wait_seconds`: how long SQLite waits for another writer's lock (batch jobs wait
    longer than the service). A URL that names no usable database is a LeadscoreError (password hidden)."""
    try:
        is_sqlite = sa.make_url(url).get_backend_name() == "sqlite"
        engine = (sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args={"timeout": wait_seconds})
                  if is_sqlite else sa.create_engine(url))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise LeadscoreError(f"{safe_url(url)}: cannot open the database: {str(exc).splitlines()[0]}; "
                             "give a SQLAlchemy URL such as sqlite:///predictions.db") from None
    if is_sqlite:
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def create_tables(engine: sa.Engine, *tables: sa.Table) -> None:
    """Create the given tables (default: the prediction log and its offered questions) where missing: each
    writer creates its own.
    Dask workers log their partitions side by side: two may both see a table missing and both create it,
    and the slower one fails ("already exists"), possibly while the faster one has created the first table
    and not yet the second. So a failure after which some of the tables exist is another writer at work:
    look again shortly (create_all skips what exists); a failure with none of them present is raised."""
    tables = list(tables) or [predictions, offered_questions]
    for attempt in range(_CREATE_ATTEMPTS):
        try:
            metadata.create_all(engine, tables=tables)
            return
        except sa.exc.DatabaseError:
            present, names = set(sa.inspect(engine).get_table_names()), {table.name for table in tables}
            if names <= present and attempt == _CREATE_ATTEMPTS - 1:
                return  # another writer made them all meanwhile
            if attempt == _CREATE_ATTEMPTS - 1 or not names & present:
                raise
            time.sleep(0.05 * (attempt + 1))


def insert_rows(connection: sa.Connection, rows: Sequence[dict]) -> int:
    """Insert rows whose row_key is new; returns how many were new. Rows already present are skipped.
    The questions a row offered (its `questions` key) go to `offered_questions` in the same transaction."""
    if not rows:
        return 0
    new = _insert_predictions(connection, rows)
    _insert_offered(connection, rows)
    return new


def _insert_offered(connection: sa.Connection, rows: Sequence[dict]) -> None:
    offered = [{"row_key": f"{r['row_key']}:{q['field']}"[:300], "prediction_key": r["row_key"],
                "logged_at": r["logged_at"], "origin": r["origin"], "lead_id": r.get("lead_id"),
                "field": str(q["field"])[:128], "rank": rank, "expected_change": q.get("expected_change"),
                "crosses_band": q.get("crosses_band")}
               for r in rows for rank, q in enumerate(r.get(QUESTIONS_KEY) or (), start=1)]
    if not offered:
        return
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        from sqlalchemy.dialects import postgresql, sqlite

        insert = (sqlite if dialect == "sqlite" else postgresql).insert
        connection.execute(insert(offered_questions).on_conflict_do_nothing(index_elements=["row_key"]), offered)
        return
    keys = [r["row_key"] for r in offered]
    present = set(connection.scalars(sa.select(offered_questions.c.row_key)
                                     .where(offered_questions.c.row_key.in_(keys))))
    fresh = [r for r in offered if r["row_key"] not in present]
    if fresh:
        connection.execute(offered_questions.insert(), fresh)


def _insert_predictions(connection: sa.Connection, rows: Sequence[dict]) -> int:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        return _insert_sqlite(connection, rows)
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # other databases: skip the keys already there, then a plain insert
        keys = [r["row_key"] for r in rows]
        present = set(connection.scalars(sa.select(predictions.c.row_key).where(predictions.c.row_key.in_(keys))))
        fresh = [{c: r.get(c) for c in COLUMNS} for r in rows if r["row_key"] not in present]
        if fresh:
            connection.execute(predictions.insert(), fresh)
        return len(fresh)
    statement = insert(predictions).on_conflict_do_nothing(index_elements=["row_key"])
    result = connection.execute(statement, [{c: r.get(c) for c in COLUMNS} for r in rows])
    return max(result.rowcount, 0)


def _insert_sqlite(connection: sa.Connection, rows: Sequence[dict]) -> int:
    """SQLite: one prepared statement run by the driver's executemany. SQLAlchemy's own multi-row
    insert spends most of a large batch on binding parameters in Python; values are converted by the
    column types' own processors, so what is stored is the same."""
    processors = {c: predictions.c[c].type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
                  for c in COLUMNS}
    convert = {c: _memoised(f) for c, f in processors.items() if f is not None}
    names = ", ".join(COLUMNS)
    statement = (f"INSERT INTO predictions ({names}) VALUES ({', '.join('?' * len(COLUMNS))}) "
                 "ON CONFLICT (row_key) DO NOTHING")
    values = [tuple(convert[c](r.get(c)) if c in convert else r.get(c) for c in COLUMNS) for r in rows]
    before = connection.exec_driver_sql("SELECT total_changes()").scalar()
    connection.exec_driver_sql(statement, values)
    return connection.exec_driver_sql("SELECT total_changes()").scalar() - before


def _memoised(process):
    """A value converter that converts each distinct value once (a batch's rows share one time)."""
    seen: dict = {}

    def convert(value):
        if value not in seen:
            seen[value] = process(value)
        return seen[value]
    return convert


def write_predictions(url: str, rows: list[dict]) -> int:
    """Write rows in one transaction (tables created when missing); returns how many were new.

    Idempotent: rows whose row_key is already in the table are skipped, so a batch run can be retried.
    Rows without a time, origin or key get now, 'batch' and "<request_id>:<index>"; inputs given as a
    dict are stored as JSON."""
    now = datetime.now(UTC)
    rows = [{**row, "logged_at": row.get("logged_at") or now, "origin": row.get("origin") or "batch",
             "row_key": row.get("row_key") or f"{row.get('request_id')}:{i}",
             "inputs": json.dumps(row["inputs"], ensure_ascii=False, default=str)
             if isinstance(row.get("inputs"), dict) else row.get("inputs")} for i, row in enumerate(rows)]
    engine = open_engine(url, wait_seconds=BATCH_WAIT_SECONDS)
    try:
        create_tables(engine)
        with engine.begin() as connection:
            return insert_rows(connection, rows)
    finally:
        engine.dispose()


def _sqlite_pragmas(connection, _record) -> None:
    """WAL and normal sync: a commit no longer waits for a full fsync, and readers never block the writer.
    Switching a new file to WAL needs it alone, and SQLite answers "database is locked" at once instead of
    waiting: writers starting side by side (Dask workers) look again shortly. A file in WAL stays in WAL."""
    import sqlite3

    cursor = connection.cursor()
    for attempt in range(_WAL_ATTEMPTS):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == _WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.02)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
