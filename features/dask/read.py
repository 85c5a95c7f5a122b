"""Input of the Dask engine: a Parquet or CSV file, a folder of them or a glob, as a Dask DataFrame.

The pandas engine reads a CSV whole, so it sees every value before it picks a column's type. A Dask
partition cannot see the others: the column types are read from the first rows of the first file
(numbers as float64, since a later part may have blanks; everything else as text, which the build
parses as the pandas engine does). A later value that does not fit fails with the file named.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.errors import LeadscoreError
from features.excel import EXCEL_SUFFIXES
from features.load import check_header

TYPE_ROWS = 20_000  # rows of the first file that decide the CSV column types


def list_files(source: str) -> tuple[list[str], str]:
    """The files behind a file name, a folder or a glob, and their one suffix."""
    path = Path(source)
    files = sorted(str(p) for p in path.iterdir() if p.is_file()) if path.is_dir() else sorted(
        str(p) for p in Path().glob(source)) if any(c in source for c in "*?[") else [source] if path.is_file() else []
    suffixes = {Path(f).suffix.lower() for f in files}
    if suffixes & {*EXCEL_SUFFIXES, ".xls"}:
        # A workbook is one zip archive: it cannot be split into blocks for the workers.
        raise LeadscoreError(f"{source}: an Excel workbook; the Dask engine reads CSV or Parquet in blocks: save the "
                             "sheet as CSV or Parquet, or leave out --engine dask (the pandas engine reads .xlsx)")
    if not files or len(suffixes) != 1 or suffixes - {".csv", ".parquet", ".pq"}:
        raise LeadscoreError(f"{source}: give a .csv or .parquet file, a folder of them or a glob (one type only)")
    return files, suffixes.pop()


def csv_types(path: str, encoding: str) -> dict[str, str]:
    """Column types from the first rows: numbers as float64, true/false as boolean, the rest as text."""
    first = pd.read_csv(path, nrows=TYPE_ROWS, encoding=encoding)
    types = {}
    for column in first.columns:
        values = first[column]
        if pd.api.types.is_bool_dtype(values):
            types[column] = "boolean"
        elif pd.api.types.is_numeric_dtype(values) and values.notna().any():
            types[column] = "float64"
        else:
            types[column] = "str"
    return types


def read_frame(source: str, encoding: str | None = None, blocksize: str = "64MB"):
    """A Dask DataFrame of an export's table (one partition per Parquet file or per CSV block), its column
    names as text; a file that cannot be read is a LeadscoreError naming it."""
    import dask.dataframe as dd

    files, suffix = list_files(source)
    try:
        if suffix != ".csv":
            frame = dd.read_parquet(files)
        else:
            encoding = encoding or "utf-8"
            for file in files:
                check_header(Path(file), encoding)
            frame = dd.read_csv(files, dtype=csv_types(files[0], encoding), encoding=encoding, blocksize=blocksize)
    except (ValueError, OSError) as exc:
        raise LeadscoreError(f"{source}: cannot be read: {str(exc).splitlines()[0]}") from None
    frame.columns = [str(c) for c in frame.columns]
    return frame
