"""Fault tests: real workers and beats against their own Redis, the run's PostgreSQL database and
a loopback SMTP server, broken on purpose while they work.

Every fault test gets its own ``redis-server`` on a free port (so one may kill and restart it
without touching the machine's Redis, which other people's tests use) and a counting SMTP
server that keeps only what the assertions need: how often each Message-ID and each recipient
arrived. Child processes are stopped by the ``stack`` fixture whatever happens; a failing
assertion shows the tail of their logs.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

import pytest
import redis
from celery import Celery
from sqlalchemy import func, insert, select

from tests.services import (
    APP_DATABASE_URL,
    TEST_QUEUE,
    Process,
    celery_worker,
    child_env,
    free_port,
    wait_for,
)
from tests.smtp import ClosingController, SmtpSink
from web.cycles.models import Cycle, Phase
from web.extensions import db
from web.models import utcnow
from web.orgs.models import Membership, MembershipRole
from web.reminders.cadence import local_day
from web.reminders.models import OutboxStatus, ReminderOutbox
from web.tenancy import tenant_scope
from web.users.models import User

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


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


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


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


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


@pytest.fixture
def stack(tmp_path: Path, redis_server: RedisServer, smtp: SmtpServer) -> Iterator[Stack]:
    processes = Stack(tmp_path, redis_server.url, smtp.port)
    try:
        yield processes
    finally:
        processes.stop_all()


def broker(redis_url: str) -> Celery:
    """A bare Celery client for the run's queue on ``redis_url`` (never the current app)."""
    client = Celery("faults", broker=redis_url, backend=redis_url, set_as_current=False)
    client.conf.update(
        task_default_queue=TEST_QUEUE,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
    )
    return client


# --- data ---------------------------------------------------------------------------------------


@dataclass
class Population:
    tenant: object
    tenant_id: int
    slug: str
    cycle_id: int
    emails: list[str]


def populate(app, make, count: int, *, first: tuple[str, ...] = ()) -> Population:
    """One team of ``count`` people (after the ``first`` addresses, whose reminders thus come
    first) in a cycle whose preparation is open: one ``preparation_opened`` reminder each is
    due. Bulk inserts, no leader (so no weekly digest), and no ORM ``Cycle`` object (so no
    after-commit planning in this process).
    """
    tenant = make.tenant()
    unit = make.unit(tenant, "Hjemmeplejen Nord")
    emails = list(first) + [f"p{i}@fault.example" for i in range(count)]
    with app.app_context(), tenant_scope(tenant.id):
        user_ids = db.session.scalars(
            insert(User).returning(User.id),
            [
                {
                    "tenant_id": tenant.id,
                    "subject": f"fault-{i}",
                    "email": email,
                    "display_name": f"Person {i}",
                    "locale": "en" if i % 5 == 0 else "da",
                }
                for i, email in enumerate(emails)
            ],
        ).all()
        db.session.execute(
            insert(Membership),
            [
                {
                    "tenant_id": tenant.id,
                    "user_id": user_id,
                    "unit_id": unit.id,
                    "role": MembershipRole.EMPLOYEE,
                }
                for user_id in user_ids
            ],
        )
        today = local_day(utcnow())
        cycle_id = db.session.scalar(
            insert(Cycle)
            .returning(Cycle.id)
            .values(
                tenant_id=tenant.id,
                unit_id=unit.id,
                phase=Phase.PREPARATION,
                preparation_starts_on=today - timedelta(days=1),
                preparation_ends_on=today + timedelta(days=10),
                follow_up_on=today + timedelta(days=60),
            )
        )
        db.session.commit()
        db.session.remove()
    return Population(tenant, tenant.id, tenant.slug, cycle_id, emails)


def statuses(app, tenant_id: int) -> Counter[str]:
    with app.app_context(), tenant_scope(tenant_id):
        counts = Counter(
            {
                str(status): n
                for status, n in db.session.execute(
                    select(ReminderOutbox.status, func.count()).group_by(ReminderOutbox.status)
                )
            }
        )
        db.session.remove()
    return counts


def outbox(app, tenant_id: int) -> list[ReminderOutbox]:
    with app.app_context(), tenant_scope(tenant_id):
        rows = list(db.session.scalars(select(ReminderOutbox).order_by(ReminderOutbox.id)))
        db.session.remove()
    return rows


def settle(predicate: Callable[[], bool], timeout: float, what: str, stack: Stack) -> None:
    """``wait_for`` that shows the processes' logs when it gives up."""
    try:
        wait_for(predicate, timeout, what)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{stack.logs()}") from None


def quiet(seconds: float) -> None:
    """Let the beat and workers run on for a while: nothing more may arrive."""
    time.sleep(seconds)


def all_sent(app, tenant_id: int, total: int) -> Callable[[], bool]:
    return lambda: statuses(app, tenant_id)[OutboxStatus.SENT] == total
