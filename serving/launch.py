"""Start `leadscore serve` in its own process and wait until it is ready: used by `make run`'s last
step, the real-server tests and the serving benchmark; and `run_serve`, the command itself."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from features.messages import Line, Say, say_nothing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen | None = None, seconds: float = 120) -> None:
    """Poll `url` until it answers 200; fail early if `process` exits. Raises RuntimeError."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before {url} was ready")
        time.sleep(0.5)
    raise RuntimeError(f"{url} was not ready after {seconds:.0f} s")


@contextmanager
def running_service(env: dict | None = None, cwd: Path | None = None, log: Path | None = None):
    """A ready `leadscore serve` on a free loopback port; yields its base URL and stops it afterwards."""
    port = free_port()
    leadscore = str(Path(sys.executable).with_name("leadscore"))
    output = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    server = subprocess.Popen([leadscore, "serve", "--port", str(port)], env={**os.environ, **(env or {})},
                              cwd=cwd, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/readyz", server)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if log:
            output.close()


# Bounded registry calls in the service (MLflow's defaults retry for minutes); the model loads in the
# background anyway, these only bound how long one attempt takes. Set values win.
SERVE_MLFLOW_ENV = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10", "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.5"}


def run_serve(port: int = 3000, host: str = "127.0.0.1", model: str | None = None,
                    say: Say = say_nothing) -> None:
    """`leadscore serve`: this process becomes the BentoML server (one process tree, so SIGTERM to it
    stops the workers); never returns."""
    env = dict(os.environ)
    if model:
        env["LEADSCORE_MODEL_URI"] = model
    for name, value in SERVE_MLFLOW_ENV.items():
        env.setdefault(name, value)
    bentoml = str(Path(sys.executable).with_name("bentoml"))
    command = [bentoml, "serve", "serving.service:LeadScoring", "--host", host, "--port", str(port)]
    say(Line(f"serving on http://{host}:{port} (model {env.get('LEADSCORE_MODEL_URI', 'default')})"))
    sys.stdout.flush()
    os.execve(bentoml, command, env)
