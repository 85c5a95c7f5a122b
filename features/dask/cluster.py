"""The Dask cluster that `build`, `train` and `score --engine dask` share: a client of a given scheduler, or a
local cluster of two single-threaded worker processes on loopback that lives as long as the block."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from features.errors import LeadscoreError


@contextmanager
def dask_client(scheduler: str | None) -> Iterator[object]:
    """A client of the given scheduler, or of a local cluster that lives as long as the block."""
    import dask
    from distributed import Client, LocalCluster

    # distributed sets its loggers to INFO when first imported: keep the command's output to our own lines.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    # Task-based shuffles (value_counts, nunique): same results, without the P2P extension's log lines.
    with dask.config.set({"dataframe.shuffle.method": "tasks"}):
        yield from _client(scheduler, Client, LocalCluster)


def release_memory() -> int:
    """On a worker (client.run): hand memory freed by released partitions back to the system; returns the
    worker's resident MB. The allocators (glibc's, Arrow's pool for string columns) keep freed memory for
    reuse, so after the build a worker would otherwise hold its peak into training (the remedy Dask's
    documentation gives for "memory not released back to the OS")."""
    import contextlib
    import ctypes
    import gc

    import psutil
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError):  # not glibc: nothing to trim this way
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return psutil.Process().memory_info().rss >> 20


def _client(scheduler, Client, LocalCluster) -> Iterator[object]:
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise LeadscoreError(f"--scheduler {scheduler}: cannot reach the Dask scheduler: {exc}") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client
