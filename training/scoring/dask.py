"""`leadscore score --engine dask`: the pandas scorer run on every partition of a Dask DataFrame.

Nothing is re-implemented: each partition goes through `training.scoring.score.score_frame` (the model's own
Pipeline, the batch reason builder), so a lead gets the same probability and reasons on either engine.
Input: a Parquet or CSV file, a folder of them or a glob; output: a folder of Parquet parts, written
beside the target and renamed into place at the end, or a database table filled from those parts in one
transaction. Each worker writes its partitions' answers to the prediction log, under keys made from the
run and the partition number, so a partition that Dask runs twice is logged once. Without a scheduler
address a local cluster of two single-threaded worker processes is started (and stopped) on loopback.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from features.dask.cluster import dask_client
from features.dask.read import list_files
from features.errors import LeadscoreError
from features.messages import counted_from
from training.registry.tracking import LoadedModel
from training.scoring.output import output_is_table, table_writer
from training.scoring.score import numbers_read, score_frame


def read_leads(source: str):
    """A Dask DataFrame of the leads, every CSV column as text: each partition's numeric model fields are
    read as the model reads them when it is scored (`numbers_read`: plain numbers, amounts such as $1,234,
    times of day), as the pandas engine does its chunks."""
    import dask.dataframe as dd

    files, suffix = list_files(source)
    if suffix != ".csv":
        return dd.read_parquet(files)
    header = pd.read_csv(files[0], nrows=0).columns
    return dd.read_csv(files, dtype={c: "str" for c in header}, blocksize="64MB")


class PartitionError(LeadscoreError):
    """A partition's error, its 'data row N' counted within the partition: `score_dask` counts it in the
    whole input, computing the partitions' lengths only then."""

    def __init__(self, message: str, number: int, loc: tuple | None = None):
        super().__init__(message, loc)
        self.number = number

    def __reduce__(self):  # raised on a worker, pickled to the client
        return type(self), (str(self), self.number, self.loc)


def _score_part(part: pd.DataFrame, model: LoadedModel, lang: str, offsets: list[int], dtypes: dict,
                on_scored=None, run: str = "", questions: bool = False,
                partition_info: dict | None = None) -> pd.DataFrame:
    number = partition_info["number"] if partition_info else 0
    first = offsets[number] if partition_info else 1
    if part.empty:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in dtypes.items()})
    # Explain with the worker's own threads: the local cluster's two single-threaded workers would
    # otherwise each start the model's two TreeSHAP threads, four busy threads on two cores.
    if (threads := _worker_threads()) is not None:
        model.pipeline.named_steps["classify"].n_jobs = threads
    try:
        part = numbers_read(model, part)
        scored = score_frame(model, part, lang=lang, first_id=first, questions=questions).astype(dtypes)
    except LeadscoreError as exc:
        raise PartitionError(str(exc), number, exc.loc) from None
    if on_scored is not None:  # on the worker; a retried partition logs under the same keys (a no-op)
        on_scored(part, scored.rename(columns={scored.columns[0]: "lead_id"}), request_id=f"{run}-{number}")
    return scored


def _worker_threads() -> int | None:
    """The Dask worker's thread count; None off a worker (the caller's model is then left as it is)."""
    from distributed import get_worker

    try:
        return get_worker().state.nthreads
    except ValueError:  # not on a worker (Dask's synchronous scheduler, say)
        return None


def score_dask(model: LoadedModel, out: str | Path, source: str, lang: str = "en",
               scheduler: str | None = None, table: str | None = None, mode: str = "append",
               on_scored=None, questions: bool = False, activities: str | None = None, as_of=None,
               notes: list[str] | None = None) -> tuple[pd.DataFrame, str]:
    """Score every partition on the cluster; returns the bands and where they went.

    Output: a folder of Parquet parts renamed into place, or, when `out` is an SQLAlchemy URL, `table`
    filled from those parts in one transaction (all rows or none). `on_scored(leads, scored,
    request_id=...)` runs on the workers for each partition (the prediction log; it must be picklable).
    `activities`: the leads' activity files, counted as of `as_of` (training/scoring/dask_activities.py);
    what reading them found goes to `notes`."""
    to_table = output_is_table(out, table, mode)  # asked before the cluster works, not after
    if not to_table and Path(out).suffix.lower() == ".csv":
        raise LeadscoreError(f"{out}: --engine dask writes a folder of Parquet parts; give a folder name")
    folder = None if to_table else Path(out).parent  # parts for a table go to the system's temporary folder
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=folder, prefix=f".{Path(str(out)).name[:40]}.", suffix=".tmp"))
    try:
        with dask_client(scheduler):
            leads = read_leads(source)
            if activities is not None:
                from training.scoring.dask_activities import score_with_activities

                found = score_with_activities(model, leads, activities, as_of, temp, lang=lang, questions=questions,
                                              on_scored=on_scored, run=uuid.uuid4().hex[:24], source=source)
                (notes if notes is not None else []).extend(found)
            else:
                _score_parts(model, leads, temp, lang, questions, on_scored, source)
        bands, where = pd.read_parquet(temp, columns=["band"]), str(out)
        if to_table:
            where = _parts_into_table(temp, str(out), table, mode)
        else:
            if Path(out).exists():
                shutil.rmtree(out)
            temp.rename(out)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return bands, where


def _score_parts(model: LoadedModel, leads, temp: Path, lang: str, questions: bool, on_scored, source: str) -> None:
    """Every partition scored where it is, written as Parquet parts into `temp`."""
    # Leads without an id column are numbered by row across the whole input, as on one machine:
    # that needs each partition's length, one extra pass over the input, so only then (or when a
    # partition's error names a row: the row in the whole input is named).
    sizes = None
    if model.metadata.id_field in leads.columns:
        offsets = [1] * leads.npartitions
    else:
        sizes = leads.map_partitions(len).compute().tolist()
        offsets = [int(v) for v in np.cumsum([1] + sizes[:-1])]
    meta = score_frame(model, leads.head(1), lang=lang, questions=questions).iloc[:0]
    scored = leads.map_partitions(_score_part, model, lang, offsets, meta.dtypes.to_dict(), on_scored,
                                  uuid.uuid4().hex[:24], questions, meta=meta)
    try:
        scored.to_parquet(str(temp), write_index=False)
    except PartitionError as exc:
        sizes = sizes if sizes is not None else leads.map_partitions(len).compute().tolist()
        raise counted_from(sum(sizes[:exc.number]), exc, source) from None


def _parts_into_table(folder: Path, url: str, table: str | None, mode: str) -> str:
    """The scored parts, one file at a time (memory stays one part), into the table in one transaction."""
    with table_writer(url, table, mode) as writer:
        for part in sorted(folder.glob("*.parquet")):
            writer.write(pd.read_parquet(part))
    return writer.where
