"""Fault tests: real workers and beats against their own Redis, the run's PostgreSQL database and
a loopback SMTP server, broken on purpose while they work.

Every fault test gets its own ``redis-server`` on a free port (so one may kill and restart it
without touching the machine's Redis, which other people's tests use) and a counting SMTP
server that keeps only what the assertions need: how often each Message-ID and each recipient
arrived. Child processes are stopped by the ``stack`` fixture whatever happens; a failing
assertion shows the tail of their logs. (The servers are in tests/faults/servers.py, the data
in tests/faults/population.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.servers import RedisServer, SmtpServer, Stack


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stack(tmp_path: Path, redis_server: RedisServer, smtp: SmtpServer) -> Iterator[Stack]:
    processes = Stack(tmp_path, redis_server.url, smtp.port)
    try:
        yield processes
    finally:
        processes.stop_all()
