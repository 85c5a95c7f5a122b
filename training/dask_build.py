"""`leadscore build --engine dask`: the Dask build (features/build_dask.py) on a cluster, written like the
pandas build's output (one Parquet file and its profile)."""

from __future__ import annotations

from pathlib import Path

from features.build import write_training_set
from features.build_dask import build_training_set_dask, check_dask_source
from features.spec import DatasetSpec
from training.dask_score import dask_client


def build_on_dask(spec: DatasetSpec, out: Path, as_of: str | None = None, scheduler: str | None = None):
    """(training set, (parquet path, profile path)); without a scheduler address, a local cluster."""
    check_dask_source(spec)
    with dask_client(scheduler):
        training_set = build_training_set_dask(spec, as_of)
        return training_set, write_training_set(training_set, out)
