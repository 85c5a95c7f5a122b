"""Loaders: one table from CSV, Parquet or SQL (SQLAlchemy), with clear errors that name the source."""

from __future__ import annotations

import codecs
import csv
import logging
from pathlib import Path

import pandas as pd

from features.csv_shape import drop_empty, prepared, some_columns
from features.errors import LeadscoreError
from features.excel import is_workbook, read_workbook
from features.messages import did_you_mean
from features.source_spec import SqlSource

log = logging.getLogger(__name__)

# First bytes of files that are not text: compressed archives, Parquet, spreadsheets.
_BINARY = (b"\x1f\x8b", b"PK\x03\x04", b"BZh", b"\xfd7zXZ", b"PAR1", b"\xd0\xcf\x11\xe0", b"(\xb5/\xfd")


def check_text(path: Path, encoding: str, fix: str) -> None:
    """Refuse a binary file, and text the declared encoding cannot decode (naming the row and the key)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 0
    with path.open("rb") as handle:
        head = handle.read(8192)
        if head.startswith(_BINARY) or b"\x00" in head:
            raise LeadscoreError(f"{path}: not a text CSV (a compressed or binary file); export the table as "
                                 "plain CSV, or use Parquet with a .parquet name (an Excel workbook: an .xlsx name)")
        chunk = head
        while chunk:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                row = lines + chunk[: exc.start].count(b"\n")
                raise LeadscoreError(
                    f"{path}: line {row + 1} is not valid {encoding} text; {fix}") from None
            lines += chunk.count(b"\n")
            chunk = handle.read(1 << 22)


def check_header(path: Path, encoding: str, source=None, delimiter: str = ",") -> None:
    """Duplicated column names are a question for the user, not something to rename silently."""
    if source is not None and not isinstance(source, Path):
        first = source.getvalue()[:1 << 16].decode(encoding, errors="ignore").split("\n")[0]
        header = next(csv.reader([first.lstrip("\ufeff")], delimiter=delimiter), [])
    else:
        with path.open(encoding=encoding, newline="") as handle:
            header = next(csv.reader(handle, delimiter=delimiter), [])
    seen: set[str] = set()
    for name in header:
        if name in seen and name.strip():
            raise LeadscoreError(f"{path}: column name {name!r} appears more than once in the header; "
                                 "rename one of them in the export")
        seen.add(name)


def _read_file(path: Path, encoding: str | None, key: str, sheet: str | None = None,
               sheet_key: str | None = None) -> pd.DataFrame:
    if path.is_dir():
        raise LeadscoreError(f"{path}: a folder, not a file; point 'path' in the spec at the CSV, Parquet or "
                             "Excel file")
    if not path.is_file():
        # A spec's relative path is read from where the command runs, not from the spec's own folder.
        where = "" if path.is_absolute() else \
            f" (a relative path is read from the folder the command runs in, {Path.cwd()})"
        raise LeadscoreError(f"{path}: file not found{where}; check the 'path' in the spec")
    suffix = path.suffix.lower()
    encoding = encoding or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise LeadscoreError(f"{path}: unknown encoding {encoding!r} in '{key}'; use e.g. utf-8, latin-1 or gbk") \
            from None
    if is_workbook(path):
        return read_workbook(path, sheet, sheet_key)
    if suffix == ".xls":
        raise LeadscoreError(f"{path}: an Excel 97-2003 workbook (.xls) cannot be read; save it as .xlsx or "
                             "export the table as CSV")
    try:
        if suffix == ".csv":
            check_text(path, encoding, f"set '{key}' in the spec to the export's encoding, e.g. latin-1, cp1252 "
                       "or gbk")
            source, delimiter, skipped = prepared(path, encoding)
            if skipped:
                log.info("%s: skipped %d title line(s) above the header", path, skipped)
            check_header(path, encoding, source, delimiter)
            if isinstance(source, Path) and delimiter == ",":
                # pyarrow's reader is several times faster on large exports; same values as the C reader.
                frame = pd.read_csv(path, engine="pyarrow", encoding=encoding)
            else:
                frame = pd.read_csv(source, encoding=encoding, sep=delimiter)
            frame.columns = [str(c).lstrip("\ufeff") for c in frame.columns]
            return drop_empty(frame, str(path))
        if suffix in {".parquet", ".pq"}:
            return pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError, csv.Error) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LeadscoreError(f"{path}: cannot be read as {suffix[1:].upper()}: {first}") from None
    raise LeadscoreError(f"{path}: unsupported file type '{suffix}'; use .csv, .parquet or .xlsx")


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


def load_table(path: str | None, sql: SqlSource | None, what: str, encoding: str | None = None,
               sheet: str | None = None, sheet_key: str | None = None) -> pd.DataFrame:
    """Read one table (leads or outcomes) from a file path or an SQL source; never returns an empty one.
    `sheet`: the sheet of an Excel workbook; `sheet_key`: the spec key or option naming it, for the question
    a workbook of several sheets asks (None: the command has no way to name one)."""
    source = path if path is not None else safe_url(sql.url)
    if path is not None and sheet is not None:
        source = f"{path} (sheet {sheet!r})"
    key = "leads.encoding" if what == "leads" else "outcome.encoding"
    frame = _read_file(Path(path), encoding, key, sheet, sheet_key) if path is not None else _read_sql(sql)
    if frame.empty:
        raise LeadscoreError(f"{source}: the {what} table has no rows; point the spec at the full export")
    frame.columns = [str(c) for c in frame.columns]
    duplicated = frame.columns[frame.columns.duplicated()]
    if len(duplicated):
        raise LeadscoreError(f"{source}: column name {duplicated[0]!r} appears more than once; rename one of them")
    return frame


def require_columns(frame: pd.DataFrame, columns: list[str], source: str, key: str) -> None:
    """Fail with the spec key and the columns present when a named column is absent."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise LeadscoreError(
            f"{source}: column {missing[0]!r} (spec key '{key}') is not in the table"
            f"{did_you_mean(missing[0], frame.columns)}; columns present: {some_columns(frame.columns)}"
        )


def blank_placeholders(frame: pd.DataFrame, missing_values: list[str]) -> pd.DataFrame:
    """Turn placeholder strings such as 'Select' into missing values in every text column."""
    if not missing_values:
        return frame
    # Booleans count as numbers here on purpose (not features.columns.is_numeric_column, where they are
    # categories): a True/False column cannot hold a placeholder string, so only text columns are searched.
    text_columns = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    out = frame.copy()
    for column in text_columns:
        out[column] = out[column].mask(out[column].isin(missing_values))
    return out


def source_from_options(path: Path | str | None, sql_url: str | None, sql_query: str | None,
                        flag: str = "--input", explain_query: bool = False) -> tuple[str | None, SqlSource | None]:
    """(path, None) or (None, SqlSource) from a command's `FLAG FILE` / `--sql-url` / `--sql-query` options.

    `explain_query`: a missing --sql-query gets its own message (`leadscore score`); init and outcomes
    import repeat the first message for it, as they always have.
    """
    either = f"give either {flag} FILE or --sql-url URL with --sql-query QUERY"
    if (path is None) == (sql_url is None):
        raise LeadscoreError(either)
    if sql_url is not None and not sql_query:
        raise LeadscoreError("--sql-url needs --sql-query, e.g. --sql-query 'select * from leads'"
                             if explain_query else either)
    return (str(path) if path is not None else None), (SqlSource(url=sql_url, query=sql_query) if sql_url else None)
