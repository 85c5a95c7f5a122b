"""`--engine dask` scoring on a real two-worker cluster started with Dask's own programs, on loopback."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from features.load import load_table
from training.dask_score import score_dask
from training.metadata import model_metadata
from training.score import numeric_fields, score_frame
from training.tracking import LoadedModel

DASK = str(Path(sys.executable).with_name("dask"))
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler_address(tmp_path_factory):
    """`dask scheduler` and two `dask worker`s, each in its own process group, all stopped at the end."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    common = {"start_new_session": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
              "cwd": tmp_path_factory.mktemp("dask")}
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                   "--no-dashboard"], **common)]
    try:
        for i in range(2):
            processes.append(subprocess.Popen(
                [DASK, "worker", address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1",
                 "--no-dashboard", "--name", f"w{i}"], **common))
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in reversed(processes):  # the whole group: a worker's nanny and its worker process
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + 30
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def loaded(trained):
    return LoadedModel(pipeline=trained.pipeline, metadata=model_metadata(trained), uri="test")


def test_dask_scoring_equals_pandas_scoring(loaded, synthetic_dir, scheduler_address, tmp_path):
    leads = load_table(str(synthetic_dir / "leads.csv"), None, "leads")
    parts = tmp_path / "leads"
    parts.mkdir()
    for i, start in enumerate(range(0, len(leads), 1100)):  # four files: several partitions on two workers
        leads.iloc[start:start + 1100].to_parquet(parts / f"part-{i}.parquet")
    out = tmp_path / "scored"
    bands = score_dask(loaded, out, str(parts), numeric_fields(loaded), lang="zh", scheduler=scheduler_address)
    got = pd.read_parquet(out).reset_index(drop=True)
    whole = score_frame(loaded, leads, lang="zh")
    assert len(got) == len(whole) == len(bands) and got.columns.tolist() == whole.columns.tolist()
    assert (got["lead_id"].astype(str) == whole["lead_id"].astype(str)).all()
    assert (got["probability"] - whole["probability"]).abs().max() <= 1e-9
    for column in ("score", "band", "top_positive", "top_negative", "reasons"):
        assert got[column].tolist() == whole[column].tolist(), column
    assert not list(tmp_path.glob(".*.tmp"))


def test_unknown_engine_or_dask_without_files_exits_2(tmp_path):
    from typer.testing import CliRunner

    from serving.cli import app

    for extra in (["--engine", "spark", "--input", "x.csv"], ["--engine", "dask", "--sql-url", "sqlite://",
                                                               "--sql-query", "select 1"]):
        result = CliRunner().invoke(app, ["score", "--model", "models:/x@champion", "--output",
                                          str(tmp_path / "out"), *extra])
        assert result.exit_code == 2 and "--engine" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
