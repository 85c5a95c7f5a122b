"""`leadscore build --engine dask`: the Dask build (features/dask/build.py) on a cluster, written like the
pandas build's output (one Parquet file and its profile)."""

from __future__ import annotations

from pathlib import Path

from features.build import write_training_set
from features.dask.build import build_training_set_dask, check_dask_source
from features.dask.cluster import dask_client
from features.spec import DatasetSpec


def build_on_dask(spec: DatasetSpec, out: Path, as_of: str | None = None, scheduler: str | None = None):
    """(training set, (parquet path, profile path)); without a scheduler address, a local cluster."""
    check_dask_source(spec)
    with dask_client(scheduler):
        training_set = build_training_set_dask(spec, as_of)
        return training_set, write_training_set(training_set, out)
