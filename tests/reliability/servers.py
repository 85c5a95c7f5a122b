"""Real `leadscore serve` processes on free loopback ports, with their output in files the tests read."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from serving.launch import free_port

TOKEN = "rel-t0ken"


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    folder: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {TOKEN}"}

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def worker(self) -> psutil.Process:
        workers = [p for p in self.tree()[1:] if "_bentoml_impl.worker" in " ".join(p.cmdline())]
        assert len(workers) == 1, workers
        return workers[0]

    def wait(self, route: str, seconds: float = 120) -> float:
        """Seconds until `route` answers 200 (fails the test after `seconds`)."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            try:
                if httpx.get(self.base + route, timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, self.output()
            time.sleep(0.1)
        pytest.fail(f"{route} not 200 after {seconds} s:\n{self.output()[-3000:]}")

    def rows(self) -> int:
        with sqlite3.connect(self.folder / "predictions.db") as connection:
            return connection.execute("select count(*) from predictions").fetchone()[0]

    def output(self) -> str:
        return "".join((self.folder / n).read_text(errors="replace") for n in ("stdout.txt", "stderr.txt")
                       if (self.folder / n).exists())


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_gone(processes: list[psutil.Process], seconds: float = 60) -> list[psutil.Process]:
    """The processes still alive after `seconds`."""
    _, alive = psutil.wait_procs(processes, timeout=seconds)
    return alive


def launch(uri: str, folder: Path, **env) -> Server:
    """`leadscore serve` in its own session, output to files in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    inherited = {k: v for k, v in os.environ.items() if k != "MLFLOW_REGISTRY_URI"}  # MLflow exports it
    full = {**inherited, "MLFLOW_TRACKING_URI": uri, "LEADSCORE_API_TOKEN": TOKEN,
            "LEADSCORE_MODEL_URI": "models:/leadscore-synthetic@champion",
            "LEADSCORE_PREDICTION_DB": f"sqlite:///{folder}/predictions.db",
            "LEADSCORE_PREDICTION_SPOOL": str(folder / "predictions.spool"), **env}
    port = free_port()
    leadscore = str(Path(sys.executable).with_name("leadscore"))
    with open(folder / "stdout.txt", "w") as out, open(folder / "stderr.txt", "w") as err:
        process = subprocess.Popen([leadscore, "serve", "--port", str(port)], env=full, cwd=folder,
                                   stdout=out, stderr=err, start_new_session=True)
    return Server(process, port, folder)


def stop(server: Server) -> None:
    """SIGTERM to every process of the tree, SIGKILL to what is left after 30 s."""
    processes = server.tree()
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signal.SIGTERM)
    for process in wait_gone(processes, 30):
        process.kill()
    if server.process.poll() is None:
        server.process.kill()
    server.process.wait(timeout=10)
