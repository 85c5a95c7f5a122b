"""Fixtures starting real `leadscore serve` processes (helpers in servers.py); all stopped afterwards."""

from __future__ import annotations

import pytest
from servers import Server, launch, stop


@pytest.fixture
def start_server(registry, tmp_path):
    """Start `leadscore serve` (call with extra env); every process it started is stopped afterwards."""
    started: list[Server] = []

    def start(**env) -> Server:
        started.append(launch(registry[0], tmp_path / f"server{len(started)}", **env))
        return started[-1]

    yield start
    for server in started:
        stop(server)


@pytest.fixture(scope="module")
def shared_server(registry, tmp_path_factory):
    """One ready server for a whole test module."""
    server = launch(registry[0], tmp_path_factory.mktemp("shared"))
    try:
        server.wait("/readyz")
        yield server
    finally:
        stop(server)
