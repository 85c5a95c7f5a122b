"""One process tree: SIGTERM to `leadscore serve` stops everything after writing the queued log rows;
SIGKILL of the supervisor or of the worker leaves no orphan holding the port and loses no answered row."""

from __future__ import annotations

import signal

import httpx
import pytest
from servers import port_is_free, wait_gone

pytestmark = pytest.mark.slow


def send(server, leads, times: int) -> int:
    """POST `times` requests; returns how many leads were answered."""
    answered = 0
    with httpx.Client(base_url=server.base, headers=server.headers, timeout=30) as client:
        for _ in range(times):
            response = client.post("/predict", json={"leads": leads})
            assert response.status_code == 200, response.text
            answered += len(response.json()["results"])
    return answered


def test_sigterm_stops_every_process_and_writes_every_answered_row(start_server, sample_leads):
    server = start_server()
    server.wait("/readyz")
    processes = server.tree()
    assert len(processes) == 2  # the supervisor (`leadscore serve` itself) and one worker
    answered = send(server, sample_leads[:5], 20)
    server.process.send_signal(signal.SIGTERM)  # well inside the log writer's one-second batch
    assert server.process.wait(timeout=60) == 0
    assert wait_gone(processes, 30) == []
    assert port_is_free(server.port)
    assert server.rows() == answered == 100


def test_sigkill_of_the_worker_then_of_the_supervisor(start_server, sample_leads):
    """A killed worker is replaced and its answered rows are written from the journal it left; a killed
    supervisor takes its worker down (SIGTERM on parent death), which writes its rows and frees the port."""
    server = start_server()
    server.wait("/readyz")
    worker = server.worker()
    answered = send(server, sample_leads[:5], 20)
    worker.send_signal(signal.SIGKILL)  # no shutdown hook runs: its rows are still in the journal file
    worker.wait(timeout=10)
    server.wait("/readyz")  # the supervisor starts a new worker, which writes the journal left behind
    assert server.worker().pid != worker.pid
    answered += send(server, sample_leads[:5], 2)
    processes = server.tree()
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)
    assert wait_gone(processes, 60) == []
    assert port_is_free(server.port)
    assert server.rows() == answered == 110
