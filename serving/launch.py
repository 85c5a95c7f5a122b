"""Start `leadscore serve` in its own process and wait until it is ready: used by `make run`'s last
step, the real-server tests and the serving benchmark."""

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
