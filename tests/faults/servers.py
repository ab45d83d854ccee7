"""The fault tests' servers and processes: a ``redis-server`` of their own, a counting SMTP
server that can refuse connections, and the workers and beats of one test (``Stack``); the
fixtures that start and stop them are in tests/faults/conftest.py."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

import redis

from tests.services import APP_DATABASE_URL, Process, celery_worker, child_env, free_port, wait_for
from tests.smtp import ClosingController, SmtpSink

# Generous, bounded waits: these tests must pass on a loaded two-core machine.
START_TIMEOUT = 60
DELIVERY_TIMEOUT = 150


# --- Redis of our own -------------------------------------------------------------------------


class RedisServer:
    """A throw-away ``redis-server`` on a free port, without persistence: a restart empties it,
    which is the harshest case for the broker (every queued task is gone)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Process | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.process = Process(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.directory),
            ],
            child_env(),
            self.directory / f"redis-{self.starts}.log",
        )
        wait_for(self.ping, START_TIMEOUT, f"redis-server on port {self.port}")

    def ping(self) -> bool:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def kill(self) -> None:
        assert self.process is not None
        self.process.stop(9)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


# --- SMTP that counts -------------------------------------------------------------------------


class CountingSink(SmtpSink):
    """Parses headers only (thousands of messages), counts Message-IDs and recipients."""

    def __init__(self) -> None:
        super().__init__()
        self.message_ids: Counter[str] = Counter()
        self.recipients: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope):
        headers = BytesHeaderParser(policy=compat32).parsebytes(
            envelope.original_content or envelope.content
        )
        with self._lock:
            self.message_ids[str(headers["Message-ID"]).strip()] += 1
            self.kinds[str(headers["X-Aktorskab-Kind"])] += 1
            for address in envelope.rcpt_tos:
                self.recipients[address.lower()] += 1
        return "250 Message accepted for delivery"

    @property
    def received(self) -> int:
        with self._lock:
            return sum(self.message_ids.values())

    def twice(self) -> dict[str, int]:
        with self._lock:
            return {k: n for k, n in self.message_ids.items() if n > 1}


class SmtpServer:
    """The counting sink behind an aiosmtpd controller that can stop taking connections and
    take them again on the same port (in between, connecting is refused)."""

    def __init__(self) -> None:
        self.sink = CountingSink()
        self.sink.port = self.port = free_port()
        self._controllers: list[ClosingController] = []

    def start(self) -> None:
        controller = ClosingController(self.sink, hostname="127.0.0.1", port=self.port)
        controller.start()
        self._controllers.append(controller)

    def refuse_connections(self) -> None:
        """Close the listening socket: sessions under way finish, new connections are refused
        (ECONNREFUSED), like a mail server that is down or restarting."""
        controller = self._controllers[-1]

        async def close() -> None:
            controller.server.close()

        asyncio.run_coroutine_threadsafe(close(), controller.loop).result(timeout=10)

    def accept_connections(self) -> None:
        self.start()

    def stop(self) -> None:
        while self._controllers:
            self._controllers.pop().stop()


# --- processes ----------------------------------------------------------------------------------


@dataclass
class Stack:
    """The child processes of one test; all stopped at teardown, whatever happened."""

    directory: Path
    redis_url: str
    smtp_port: int
    processes: list[Process] = field(default_factory=list)

    def env(self, **settings: str) -> dict[str, str]:
        return child_env(
            DATABASE_URL=APP_DATABASE_URL,
            REDIS_URL=self.redis_url,
            AKTOR_ENV="test",
            SECRET_KEY="test-secret",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(self.smtp_port),
            REMINDER_SEND_WINDOW="always",
            **settings,
        )

    def worker(self, name: str, **settings: str) -> Process:
        process = celery_worker(
            self.env(**settings), self.directory / f"{name}.log", "--hostname", f"{name}@%h"
        )
        self.processes.append(process)
        return process

    def beat(self, name: str, **settings: str) -> Process:
        """``celery beat`` with its own schedule file and pid file (two may run at once)."""
        process = Process(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker.main",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(self.directory / f"{name}-schedule"),
                "--pidfile",
                str(self.directory / f"{name}.pid"),
            ],
            self.env(**settings),
            self.directory / f"{name}.log",
        )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            process.stop()

    def logs(self, lines: int = 30) -> str:
        parts = []
        for process in self.processes:
            tail = process.output().splitlines()[-lines:]
            parts.append(f"--- {process.log.name} ---\n" + "\n".join(tail))
        return "\n".join(parts)
