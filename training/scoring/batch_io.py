"""Chunked reading and writing of lead files, so batch scoring's memory stays flat whatever the file size.

Parquet is read batch by batch (pyarrow's iter_batches); CSV through pyarrow's streaming reader. A
streaming CSV reader infers types from its first block only, so a column could change type later in
the file; instead the model decides: its numeric fields are read as numbers (as text where a batch
writes them for people: the encoder reads those), every other column as text. Output goes to a
temporary file beside the target and is renamed into place at the end, so a failed run leaves nothing
half-written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pandas as pd
import pyarrow as pa

from features.atomic import temporary_beside
from features.errors import LeadscoreError
from features.excel import EXCEL_SUFFIXES
from features.load import check_header, check_text

CHUNK_ROWS = 50_000
# pandas' own default missing markers, so a streamed CSV reads missing values as pd.read_csv does.
NULL_MARKERS = sorted(pd._libs.parsers.STR_NA_VALUES | {""})


def _csv_batches(path: Path, numeric: set[str]) -> Iterator[pa.RecordBatch]:
    from pyarrow import csv

    header = csv.open_csv(path, read_options=csv.ReadOptions(block_size=1 << 16)).schema.names
    reader = csv.open_csv(path, read_options=csv.ReadOptions(block_size=1 << 24),
                          convert_options=csv.ConvertOptions(column_types={name: pa.string() for name in header},
                                                             null_values=NULL_MARKERS, strings_can_be_null=True))
    for batch in reader:
        yield _numbers_where_plain(batch, numeric)


def _numbers_where_plain(batch: pa.RecordBatch, numeric: set[str]) -> pa.RecordBatch:
    """The model's numeric fields as numbers where the whole batch holds plain ones; otherwise left as text,
    which the encoder reads (times of day, amounts such as $1,234) or refuses naming the row."""
    import pyarrow.compute as pc

    columns = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if name in numeric:
            with suppress(pa.ArrowInvalid):
                column = pc.cast(pc.utf8_trim_whitespace(column), pa.float64())
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _parquet_batches(path: Path, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    import pyarrow.parquet as pq

    yield from pq.ParquetFile(path).iter_batches(batch_size=chunk_rows)


def _workbook_batches(path: Path, numeric: set[str], sheet: str | None, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """A sheet holds at most about a million rows: it is read whole, then typed as a CSV stream is (every
    column as its text, the model's numeric fields as numbers where plain), so both score alike."""
    from features.keys import id_text
    from features.load import load_table

    frame = load_table(str(path), None, "leads", sheet=sheet, sheet_key="--sheet")
    text = pd.DataFrame({c: id_text(frame[c]) for c in frame.columns})  # 123.0 from a sheet is the id '123'
    for start in range(0, len(text), chunk_rows):
        batch = pa.RecordBatch.from_pandas(text.iloc[start:start + chunk_rows], preserve_index=False)
        yield _numbers_where_plain(batch, numeric)


def read_chunks(path: str | Path, numeric: set[str] = frozenset(),
                chunk_rows: int = CHUNK_ROWS, *, sheet: str | None = None) -> Iterator[pd.DataFrame]:
    """DataFrames of at most about `chunk_rows` leads each; `numeric` names the columns read as numbers;
    `sheet`: the sheet of an Excel workbook (--sheet)."""
    path = Path(path)
    if not path.is_file():
        raise LeadscoreError(f"{path}: file not found; check --input")
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".parquet", ".pq", *EXCEL_SUFFIXES}:
        raise LeadscoreError(f"{path}: unsupported file type '{suffix}'; use .csv, .parquet or .xlsx")
    if sheet is not None and suffix not in EXCEL_SUFFIXES:
        raise LeadscoreError(f"{path}: --sheet names a sheet of an Excel workbook; leave it out for a {suffix} file")
    if suffix in EXCEL_SUFFIXES:
        yield from (batch.to_pandas() for batch in _workbook_batches(path, numeric, sheet, chunk_rows))
        return
    if suffix == ".csv":  # the same refusals as the whole-file reader: binary, not UTF-8, duplicated names
        check_text(path, "utf-8", "save the leads to score as UTF-8 (or as Parquet)")
        check_header(path, "utf-8")
    batches = _csv_batches(path, numeric) if suffix == ".csv" else _parquet_batches(path, chunk_rows)
    rows = 0
    try:
        for batch in batches:
            frame = batch.to_pandas()
            for start in range(0, len(frame), chunk_rows):
                yield frame.iloc[start:start + chunk_rows].reset_index(drop=True)
            rows += batch.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise LeadscoreError(f"{path}: cannot be read as {suffix[1:].upper()} after data row {rows}: {exc}") from None
    if rows == 0:
        raise LeadscoreError(f"{path}: the leads table has no rows; point --input at the full export")


EXCEL_ROWS = 1_048_576  # rows of an Excel sheet, the header's included


class _SheetWriter:
    """Scores as one sheet of an .xlsx workbook, written row by row (openpyxl's write-only mode)."""

    def __init__(self, temp: Path, where: str):
        from openpyxl import Workbook

        self.temp, self.where, self.rows = temp, where, 0
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("scores")

    def write_table(self, table: pa.Table) -> None:
        if self.rows == 0:
            self.sheet.append(table.schema.names)
            self.rows = 1
        if self.rows + table.num_rows > EXCEL_ROWS:
            raise LeadscoreError(f"{self.where}: more scored leads than an Excel sheet holds ({EXCEL_ROWS - 1:,}); "
                                 "write the scores to a .csv or .parquet file")
        from openpyxl.utils.exceptions import IllegalCharacterError

        for row in zip(*(column.to_pylist() for column in table.columns), strict=True):
            try:
                self.sheet.append(row)
            except IllegalCharacterError:
                raise LeadscoreError(f"{self.where}: data row {self.rows} holds a control character that an Excel "
                                     "sheet cannot store; write the scores to a .csv or .parquet file") from None
            self.rows += 1

    def close(self) -> None:
        self.book.save(str(self.temp))


class _ChunkWriter:
    def __init__(self, temp: Path, suffix: str, where: str):
        self.temp, self.suffix, self.writer, self.where = temp, suffix, None, where

    def write(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None and self.suffix in EXCEL_SUFFIXES:
            self.writer = _SheetWriter(self.temp, self.where)
        if self.writer is None:
            if self.suffix == ".csv":
                from pyarrow import csv

                self.writer = csv.CSVWriter(str(self.temp), table.schema)
            else:
                import pyarrow.parquet as pq

                self.writer = pq.ParquetWriter(str(self.temp), table.schema)
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


@contextmanager
def chunk_writer(out: Path):
    """Write DataFrames one after another into `out` (.csv, .parquet or .xlsx), atomically."""
    suffix = out.suffix.lower()
    if suffix not in {".csv", ".parquet", ".pq", ".xlsx"}:
        raise LeadscoreError(f"{out}: unsupported output type '{suffix}'; use .csv, .parquet or .xlsx")
    with temporary_beside(out) as temp:
        writer = _ChunkWriter(temp, suffix, str(out))
        try:
            yield writer
            writer.close()
            os.replace(temp, out)
        finally:
            writer.close()
