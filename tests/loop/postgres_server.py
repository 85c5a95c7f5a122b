"""A real PostgreSQL server for the tests: initdb in a temporary folder, started on a free loopback
port with pg_ctl, stopped (children included) afterwards. PostgreSQL refuses to run as root, so as
root the server runs as the `postgres` user (Debian's package creates it; `make postgresql`)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager

from serving.launch import free_port


def _binaries() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def running_postgres():
    """Yields a SQLAlchemy URL of a fresh, empty database; removes everything afterwards."""
    bin_dir = _binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: run `make postgresql` (Debian's postgresql package)")
    folder = tempfile.mkdtemp(prefix="leadscore-pg-")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = os.path.join(folder, "data"), free_port()
    run = lambda *args: subprocess.run(_as_server_user(list(args)), check=True, capture_output=True,  # noqa: E731
                                       timeout=120)
    try:
        run(f"{bin_dir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
        run(f"{bin_dir}/pg_ctl", "-D", data, "-l", os.path.join(folder, "server.log"), "-w", "-t", "60", "start",
            "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1")
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            run(f"{bin_dir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop")  # waits for every backend to exit
    finally:
        shutil.rmtree(folder, ignore_errors=True)
