"""Where `leadscore score` puts its answers, and a check that the scored leads look like the training data.

Output: a CSV or Parquet file (written atomically), or a database table through an SQLAlchemy URL,
appended to or replaced in one transaction, so a failure leaves the table as it was.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from features.errors import LeadscoreError
from features.load import safe_url
from features.messages import column_list, did_you_mean
from training.evaluate.metrics import BANDS
from training.registry.contract import ModelMetadata

MODES = ("append", "replace")
DRIFT_FACTOR = 2.0  # a hot share this many times training's (or below 1/this) means the leads differ


def is_database_url(output: str) -> bool:
    return "://" in output


def output_is_table(out: str | Path, table: str | None, mode: str) -> bool:
    """Whether `out` names a database (else a file or folder); the table options checked before any work."""
    if not is_database_url(str(out)):
        if table:
            raise LeadscoreError("--output-table needs --output as an SQLAlchemy URL, e.g. sqlite:///scores.db")
        return False
    if not table:
        raise LeadscoreError("an SQLAlchemy URL in --output needs --output-table NAME")
    if mode not in MODES:
        raise LeadscoreError(f"--output-mode {mode!r}: use append or replace")
    return True


def keep_columns(scored: pd.DataFrame, leads: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    """Carry chosen input columns through to the output, after the id."""
    missing = [c for c in keep if c not in leads.columns]
    if missing:
        hint = did_you_mean(missing[0], leads.columns)
        raise LeadscoreError(f"--keep: column {missing[0]!r} is not in the leads{hint}; "
                             f"columns present: {column_list(leads.columns)}")
    kept = leads[[c for c in keep if c not in scored.columns]].reset_index(drop=True)
    return pd.concat([scored.iloc[:, :1], kept, scored.iloc[:, 1:]], axis=1)


class _TableWriter:
    """Chunks into one table inside one open transaction: the first replaces or appends, the rest append."""

    def __init__(self, connection, table: str, mode: str, where: str):
        self.connection, self.table, self.mode, self.where = connection, table, mode, where

    def write(self, frame: pd.DataFrame) -> None:
        frame.to_sql(self.table, self.connection, if_exists=self.mode, index=False, chunksize=10_000)
        self.mode = "append"


@contextmanager
def table_writer(url: str, table: str | None, mode: str):
    """Append to or replace `table` in one transaction: all chunks or none. `.where` masks the password."""
    import sqlalchemy as sa

    output_is_table(url, table, mode)
    where = f"{safe_url(url)} table {table!r}"
    try:
        engine = sa.create_engine(url)
    except Exception as exc:  # bad URL or missing driver
        raise LeadscoreError(f"{where}: cannot open the database: {exc}") from None
    try:
        with engine.begin() as connection:  # one transaction: all rows or none
            yield _TableWriter(connection, table, mode, where)
    except (sa.exc.SQLAlchemyError, ValueError) as exc:
        message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise LeadscoreError(f"{where}: writing failed, nothing was written: {message}") from None
    finally:
        engine.dispose()


def band_mix(bands: pd.Series, metadata: ModelMetadata) -> tuple[str, str | None]:
    """(the mix beside training's, a warning when the hot share is more than 2x or under half of training's)."""
    training = metadata.conversion_by_band
    total = sum(b.get("leads", 0) for b in training.values())
    now = bands.value_counts(normalize=True)
    parts, warning = [], None
    for band in BANDS:
        share = float(now.get(band, 0.0))
        then = training.get(band, {}).get("leads", 0) / total if total else None
        parts.append(f"{band} {share:.1%}" + (f" (training {then:.1%})" if then is not None else ""))
        if band == "hot" and then and (share > DRIFT_FACTOR * then or share < then / DRIFT_FACTOR):
            warning = (f"hot share {share:.1%} against {then:.1%} at training: these leads differ from the "
                       "training data; check the export, or retrain on recent leads")
    return "band mix: " + ", ".join(parts), warning
