"""CSV files as people have them: CR-only or mixed line ends, a title line above the header, a BOM,
semicolons or tabs for commas, and rows or columns of nothing but separators. Each fix is said in one
line (how many lines skipped, how many empty rows and columns dropped), never column by column."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)
HEAD_BYTES = 1 << 16
SHOWN = 10  # a message names at most this many columns, then the count of the rest


def some_columns(columns, shown: int = SHOWN) -> str:
    """At most `shown` column names, then how many more: a message stays one readable line."""
    names = [repr(str(c)) for c in columns]
    rest = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {rest:,} more" if rest > 0 else "")


def _line_ends(raw: bytes) -> bytes:
    """\\r\\n and lone \\r as \\n (old Mac exports end lines with \\r alone)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _delimiter(header: str) -> str:
    if "," in header:
        return ","
    return max((";", "\t", "|"), key=header.count) if any(d in header for d in ";\t|") else ","


def _filled(row: list[str]) -> int:
    return sum(1 for cell in row if cell.strip())


def header_row(rows: list[list[str]]) -> int:
    """Where the header is: title lines are rows of at most one filled cell (or none) above the first row
    that names columns (0 when no row names two)."""
    return next((i for i, row in enumerate(rows) if _filled(row) > 1), 0)


def prepared(path: Path, encoding: str) -> tuple[object, str, int]:
    """(what pandas reads: the path or a buffer, the delimiter, title lines skipped)."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    lone_cr = head.count(b"\r") - head.count(b"\r\n")
    raw = None
    if lone_cr > 0:
        raw = _line_ends(path.read_bytes())
        head = raw[:HEAD_BYTES]
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff")
    lines = text.split("\n")[:6]
    delimiter = _delimiter(lines[0] if lines else "")
    rows = list(csv.reader(lines[:-1] if len(lines) > 1 else lines, delimiter=delimiter))
    header_at = header_row(rows)
    skip = header_at if any(_filled(row) == 1 for row in rows[:header_at]) else 0
    if raw is None and skip == 0:
        return path, delimiter, 0
    data = raw if raw is not None else path.read_bytes()
    if skip:
        data = b"\n".join(_line_ends(data).split(b"\n")[skip:])
        # the delimiter of the real header
        delimiter = _delimiter(data[:HEAD_BYTES].decode(encoding, errors="ignore").split("\n")[0])
    return io.BytesIO(data), delimiter, skip


def drop_empty(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Rows and columns with no value at all are dropped and counted in one line."""
    blank = frame.isna()  # the CSV readers read empty fields as missing
    empty_columns = [c for c in frame.columns if blank[c].all()]
    kept = frame.drop(columns=empty_columns)
    if not len(kept.columns):
        return frame  # nothing at all: the caller says the table has no rows
    empty_rows = blank.drop(columns=empty_columns).all(axis=1)
    if empty_rows.any():
        kept = kept[~empty_rows.to_numpy()].reset_index(drop=True)
        for column in kept.columns:  # whole numbers read as floats only because of the empty rows
            values = kept[column]
            if values.dtype.kind == "f" and values.notna().all() and (values % 1 == 0).all():
                kept[column] = values.astype("int64")
    if empty_columns or empty_rows.any():
        log.info("%s: dropped %d empty row(s) and %d empty column(s)%s", source, int(empty_rows.sum()),
                 len(empty_columns), f" ({some_columns(empty_columns)})" if empty_columns else "")
    return kept
