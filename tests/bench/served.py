"""A trained, promoted model in a temporary tracking store and a real `leadscore serve` on loopback,
for the reliability benchmark and the soak run. Every process started here is stopped here."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psutil
from measure import LEADSCORE, RESULTS, ROOT

from serving.launch import free_port, wait_ready

TOKEN = "bench-token"


@dataclass
class Served:
    base: str
    headers: dict
    leads: list[dict]
    folder: Path
    process: subprocess.Popen

    def stop(self) -> None:
        """SIGTERM to the server (it stops its worker, which writes its queued log rows); SIGKILL leftovers."""
        if self.process.poll() is not None:
            return
        tree = _tree(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        _, alive = psutil.wait_procs(tree, timeout=30)
        for process in alive:
            process.kill()

    def log_rows(self) -> int:
        with sqlite3.connect(self.folder / "predictions.db") as connection:
            return connection.execute("select count(*) from predictions").fetchone()[0]


@contextmanager
def served_model():
    """Yields a Served: a ready server of a freshly trained synthetic model."""
    with tempfile.TemporaryDirectory(prefix="bench-rel-") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp}/mlflow.db"}
        env.pop("MLFLOW_REGISTRY_URI", None)
        subprocess.run([LEADSCORE, "train", "--spec", str(ROOT / "data/specs/synthetic.yaml"), "--promote"],
                       env=env, cwd=ROOT, check=True, capture_output=True)
        leads = pd.read_csv(ROOT / "data/generated/synthetic/leads.csv", nrows=200)
        records = [json.loads(row.to_json()) for _, row in leads.iterrows()]
        port = free_port()
        with open(tmp / "server.log", "w") as log:
            process = subprocess.Popen([LEADSCORE, "serve", "--port", str(port)], cwd=tmp, start_new_session=True,
                                       env={**env, "LEADSCORE_API_TOKEN": TOKEN,
                                            "LEADSCORE_PREDICTION_DB": f"sqlite:///{tmp}/predictions.db",
                                            "LEADSCORE_PREDICTION_SPOOL": str(tmp / "predictions.spool")},
                                       stdout=log, stderr=subprocess.STDOUT)
        served = Served(f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {TOKEN}"}, records, tmp, process)
        try:
            wait_ready(f"{served.base}/readyz", process)
            yield served
        except BaseException:
            # The folder goes with the run: keep the server's output for the post-mortem, and say how it ended.
            kept = RESULTS / f"server-{time.strftime('%Y%m%d-%H%M%S')}.log"
            RESULTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tmp / "server.log", kept)
            print(f"the server {'exited with ' + str(process.returncode) if process.poll() is not None else 'ran'}"
                  f" when the run failed; its output: {kept}", file=sys.stderr)
            raise
        finally:
            served.stop()


def tree_rss_mb(pid: int) -> float:
    return round(sum(p.memory_info().rss for p in _tree(pid)) / 2**20, 1)


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
