"""Fixtures for model tests: a small synthetic training set, a fast training configuration, a real Dask cluster."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from features.build import build_training_set
from features.spec import DatasetSpec
from training.fit.train import TrainOptions


@pytest.fixture(scope="session")
def synthetic_training_set(synthetic_spec):
    return build_training_set(DatasetSpec.model_validate(synthetic_spec))


@pytest.fixture(scope="session")
def leads_only_training_set(leads_only_spec):
    return build_training_set(DatasetSpec.model_validate(leads_only_spec))


@pytest.fixture
def fast_options():
    return TrainOptions(tune_trials=3, n_jobs=2)


@pytest.fixture(scope="session")
def trained(synthetic_training_set):
    """LightGBM and baselines evaluated on the small synthetic set, plus the final model."""
    from training.fit.train import evaluate_all

    return evaluate_all(synthetic_training_set, TrainOptions(tune_trials=3))


DASK = str(Path(sys.executable).with_name("dask"))


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
