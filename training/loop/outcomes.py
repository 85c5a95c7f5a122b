"""`leadscore outcomes import`: what became of scored leads, recorded beside the prediction log.

Columns of the input: lead_id, outcome (won or lost), outcome_at (ISO date), and optionally
first_response_hours and deal_value. Import is idempotent (a lead's row is inserted once, then only
updated when its outcome changed) and runs in one transaction: an error leaves the table as it was.
Rows that cannot be trusted (a lead id the prediction log never saw, an outcome value that is
neither won nor lost, a date that is not ISO) are not imported: they are counted and written to a
rejects file with the reason, so nobody loses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from features.atomic import replace_atomically
from features.errors import LeadscoreError
from features.load import load_table, require_columns, safe_url, source_from_options
from features.messages import Line, Say, say_nothing
from features.source_spec import SqlSource
from training.loop.store import create_tables, open_engine, outcomes, predictions

REQUIRED = ["lead_id", "outcome", "outcome_at"]
OPTIONAL = ["first_response_hours", "deal_value"]
COMPARED = ["outcome", "outcome_at", "first_response_hours", "deal_value"]
CHUNK = 5_000


@dataclass
class ImportReport:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    rejects_file: Path | None = None


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(np.nan, index=frame.index)
    return pd.to_numeric(frame[column], errors="coerce")


def check_rows(frame: pd.DataFrame, known_ids: set[str], won: set[str],
               lost: set[str]) -> tuple[pd.DataFrame, pd.Series]:
    """(clean rows, reason per rejected row). Reasons name what is wrong with the row."""
    ids = frame["lead_id"].astype("string").str.strip()
    values = frame["outcome"].astype("string").str.strip().str.lower()
    dates = pd.to_datetime(frame["outcome_at"].astype("string"), errors="coerce", utc=True, format="ISO8601")
    reason = pd.Series("", index=frame.index, dtype=object)
    checks = [
        (ids.isna() | (ids == ""), "missing lead_id"),
        (ids.duplicated(keep=False) & ids.notna(), "lead_id appears more than once in the input"),
        (~ids.isin(known_ids).fillna(False), "unknown lead_id (never scored)"),
        (~values.isin(won | lost).fillna(False), f"outcome is neither won ({', '.join(sorted(won))}) "
                                                 f"nor lost ({', '.join(sorted(lost))})"),
        (dates.isna(), "outcome_at is not an ISO date such as 2026-03-31 or 2026-03-31T14:05:00Z"),
    ]
    for for_row, text in checks:
        reason = reason.mask((reason == "") & for_row.to_numpy(), text)
    for column in OPTIONAL:
        bad = frame[column].notna() & _numbers(frame, column).isna() if column in frame else None
        if bad is not None:
            reason = reason.mask((reason == "") & bad, f"{column} is not a number")
    good = reason == ""
    clean = pd.DataFrame({
        "lead_id": ids[good].astype(str), "outcome": np.where(values[good].isin(won), "won", "lost"),
        "outcome_at": dates[good], "first_response_hours": _numbers(frame, "first_response_hours")[good],
        "deal_value": _numbers(frame, "deal_value")[good],
    })
    return clean, reason[~good]


def _known_ids(connection, ids: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        known |= set(connection.scalars(sa.select(predictions.c.lead_id).distinct().where(
            predictions.c.lead_id.in_(ids[start:start + CHUNK]))))
    return known


def _existing(connection, ids: list[str]) -> pd.DataFrame:
    parts = [pd.DataFrame(connection.execute(sa.select(*[outcomes.c[c] for c in ["lead_id", *COMPARED]]).where(
        outcomes.c.lead_id.in_(ids[start:start + CHUNK]))).all(), columns=["lead_id", *COMPARED])
        for start in range(0, len(ids), CHUNK)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["lead_id", *COMPARED])


def _same(new: pd.Series, old: pd.Series) -> pd.Series:
    return (new == old) | (new.isna() & old.isna())


def _changed(clean: pd.DataFrame, existing: pd.DataFrame) -> pd.Series:
    """Per clean row: True when an existing row differs (dates compared in UTC, numbers to 1e-9)."""
    old = clean[["lead_id"]].merge(existing, on="lead_id", how="left")
    old_at = pd.to_datetime(old["outcome_at"], utc=True)
    differs = ~_same(clean["outcome"].reset_index(drop=True), old["outcome"])
    differs |= ~_same(clean["outcome_at"].reset_index(drop=True), old_at)
    for column in ("first_response_hours", "deal_value"):
        a, b = clean[column].reset_index(drop=True).astype(float), pd.to_numeric(old[column]).astype(float)
        differs |= ~((a - b).abs().le(1e-9) | (a.isna() & b.isna()))
    return differs.to_numpy()


def write_rejects(frame: pd.DataFrame, reasons: pd.Series, out: Path) -> Path:
    rejected = frame.loc[reasons.index].copy()
    rejected.insert(0, "reject_reason", reasons.to_numpy())
    return replace_atomically(out, lambda temp: rejected.to_csv(temp, index=False))


def import_outcomes(db_url: str, path: str | None = None, sql: SqlSource | None = None,
                    rejects: Path | None = None, won: tuple[str, ...] = ("won",),
                    lost: tuple[str, ...] = ("lost",)) -> ImportReport:
    """Insert new outcomes, update changed ones, reject untrustworthy rows; all in one transaction."""
    source = path if path is not None else safe_url(sql.url)
    frame = load_table(path, sql, "outcomes")
    require_columns(frame, REQUIRED, source, "outcomes import (lead_id, outcome, outcome_at)")
    won_set, lost_set = {v.strip().lower() for v in won}, {v.strip().lower() for v in lost}
    if won_set & lost_set:
        raise LeadscoreError(f"--won and --lost share {sorted(won_set & lost_set)}; a value means one thing")
    report = ImportReport(rows=len(frame))
    engine = open_engine(db_url)
    try:
        create_tables(engine, predictions, outcomes)
        with engine.begin() as connection:  # one transaction: all or nothing
            ids = frame["lead_id"].dropna().astype(str).str.strip().unique().tolist()
            clean, reasons = check_rows(frame, _known_ids(connection, ids), won_set, lost_set)
            existing = _existing(connection, clean["lead_id"].tolist())
            is_new = ~clean["lead_id"].isin(set(existing["lead_id"])).to_numpy()
            changed = _changed(clean, existing) & ~is_new
            now = datetime.now(UTC)
            rows = clean.assign(imported_at=now).replace({np.nan: None}).to_dict("records")
            fresh = [r for r, new in zip(rows, is_new, strict=True) if new]
            updates = [{**r, "key": r["lead_id"]} for r, c in zip(rows, changed, strict=True) if c]
            if fresh:
                connection.execute(outcomes.insert(), fresh)
            if updates:
                connection.execute(outcomes.update().where(outcomes.c.lead_id == sa.bindparam("key")).values(
                    {c: sa.bindparam(c) for c in [*COMPARED, "imported_at"]}), updates)
    except sa.exc.SQLAlchemyError as exc:
        message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise LeadscoreError(f"{safe_url(db_url)}: import failed, nothing was changed: {message}") from None
    finally:
        engine.dispose()
    report.inserted, report.updated = len(fresh), len(updates)
    report.unchanged = len(clean) - report.inserted - report.updated
    for text, group in reasons.groupby(reasons):
        report.rejected[text] = len(group)
        report.examples[text] = frame.loc[group.index[:3], "lead_id"].astype(str).tolist()
    if len(reasons):
        default = Path(f"{path}.rejects.csv") if path else Path("outcomes.rejects.csv")
        report.rejects_file = write_rejects(frame, reasons, rejects or default)
    return report


def run_outcomes_import(db: str | None, input: Path | None = None, sql_url: str | None = None,
                        sql_query: str | None = None, rejects: Path | None = None, won: str = "won",
                        lost: str = "lost", say: Say = say_nothing) -> ImportReport:
    """`leadscore outcomes import`: `won` and `lost` comma-separated; then what was new, updated, rejected."""
    from training.loop.store import database_url

    path, sql = source_from_options(input, sql_url, sql_query)
    report = import_outcomes(database_url(db), path, sql, rejects, tuple(won.split(",")), tuple(lost.split(",")))
    say(Line(f"{report.rows:,} rows: {report.inserted:,} new, {report.updated:,} updated, "
             f"{report.unchanged:,} unchanged, {sum(report.rejected.values()):,} rejected"))
    for reason, count in report.rejected.items():
        say(Line(f"  [yellow]rejected {count:,}[/]: {reason} (e.g. {', '.join(report.examples[reason])})"))
    if report.rejects_file:
        say(Line(f"rejected rows with their reason: {report.rejects_file}"))
    return report
