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


def read_chunks(path: str | Path, numeric: set[str] = frozenset(),
                chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """DataFrames of at most about `chunk_rows` leads each; `numeric` names the columns read as numbers."""
    path = Path(path)
    if not path.is_file():
        raise LeadscoreError(f"{path}: file not found; check --input")
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".parquet", ".pq"}:
        raise LeadscoreError(f"{path}: unsupported file type '{suffix}'; use .csv or .parquet")
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


class _ChunkWriter:
    def __init__(self, temp: Path, suffix: str, where: str):
        self.temp, self.suffix, self.writer, self.where = temp, suffix, None, where

    def write(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
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
    """Write DataFrames one after another into `out` (.csv or .parquet), atomically."""
    suffix = out.suffix.lower()
    if suffix not in {".csv", ".parquet", ".pq"}:
        raise LeadscoreError(f"{out}: unsupported output type '{suffix}'; use .csv or .parquet")
    with temporary_beside(out) as temp:
        writer = _ChunkWriter(temp, suffix, str(out))
        try:
            yield writer
            writer.close()
            os.replace(temp, out)
        finally:
            writer.close()
