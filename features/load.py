"""Loaders: one table from CSV, Parquet or SQL (SQLAlchemy), with clear errors that name the source."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.errors import LeadscoreError
from features.spec import SqlSource


def _read_file(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise LeadscoreError(f"{path}: file not found; check the 'path' in the spec or run `leadscore synth`")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            # pyarrow's reader is several times faster on large exports; same values as the C reader.
            return pd.read_csv(path, engine="pyarrow")
        if suffix in {".parquet", ".pq"}:
            return pd.read_parquet(path)
    except (ValueError, OSError) as exc:
        raise LeadscoreError(f"{path}: cannot be read as {suffix[1:].upper()}: {exc}") from None
    raise LeadscoreError(f"{path}: unsupported file type '{suffix}'; use .csv or .parquet")


def safe_url(url: str) -> str:
    """The URL with any password masked, so it can appear in messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL has no password we could mask reliably
        return "<unparsable SQLAlchemy URL>"


def _read_sql(sql: SqlSource) -> pd.DataFrame:
    import sqlalchemy as sa

    where = f"{safe_url(sql.url)} query {sql.query!r}"
    try:
        engine = sa.create_engine(sql.url)
    except Exception as exc:  # bad URL or missing driver
        raise LeadscoreError(f"{where}: cannot open the database: {exc}") from None
    try:
        with engine.connect() as connection:
            return pd.read_sql_query(sa.text(sql.query), connection)
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise LeadscoreError(f"{where}: query failed: {message}") from None
    finally:
        engine.dispose()


def load_table(path: str | None, sql: SqlSource | None, what: str) -> pd.DataFrame:
    """Read one table (leads or outcomes) from a file path or an SQL source; never returns an empty one."""
    source = path if path is not None else safe_url(sql.url)
    frame = _read_file(Path(path)) if path is not None else _read_sql(sql)
    if frame.empty:
        raise LeadscoreError(f"{source}: the {what} table has no rows; point the spec at the full export")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def require_columns(frame: pd.DataFrame, columns: list[str], source: str, key: str) -> None:
    """Fail with the spec key and the columns present when a named column is absent."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        shown = ", ".join(list(frame.columns)[:12])
        raise LeadscoreError(
            f"{source}: column {missing[0]!r} (spec key '{key}') is not in the table; "
            f"columns present: {shown}{' ...' if frame.shape[1] > 12 else ''}"
        )


def blank_placeholders(frame: pd.DataFrame, missing_values: list[str]) -> pd.DataFrame:
    """Turn placeholder strings such as 'Select' into missing values in every text column."""
    if not missing_values:
        return frame
    text_columns = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    out = frame.copy()
    for column in text_columns:
        out[column] = out[column].mask(out[column].isin(missing_values))
    return out


def parse_datetimes(values: pd.Series, source: str, column: str, ids: pd.Series) -> pd.Series:
    """Parse a date column; an unparsable value is an error naming the column, row and lead id."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    bad = parsed.isna() & values.notna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise LeadscoreError(
            f"{source}: column {column!r} has {int(bad.sum())} value(s) that are not dates, e.g. data row {row + 1} "
            f"(lead id {ids.iloc[row]!r}) holds {values.iloc[row]!r}; use ISO dates such as 2026-03-31 14:05"
        )
    return parsed.astype("datetime64[ns]")
