"""Real services for the tests: PostgreSQL, Redis and background processes on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import requests
from sqlalchemy.engine import make_url

from tests.reaper import RUN_MARK, die_with_parent

ROOT = Path(__file__).resolve().parent.parent
# Each pytest run gets its own database and Celery queue, so runs on one machine never collide.
RUN_ID = f"{os.getpid()}"
# TEST_BACKEND=postgresql (default: PostgreSQL + Redis) or sqlite (the embedded default: a SQLite
# file in WAL mode and Celery's SQLAlchemy transport, in a temporary folder of this run).
TEST_BACKEND = os.environ.get("TEST_BACKEND", "postgresql")
if TEST_BACKEND not in {"postgresql", "sqlite"}:
    raise RuntimeError(f"TEST_BACKEND must be postgresql or sqlite, not {TEST_BACKEND!r}")
SQLITE = TEST_BACKEND == "sqlite"
TEST_QUEUE = f"aktorskab-test-{RUN_ID}"

if SQLITE:
    # The run's INSTANCE_PATH: the app's database, Celery's broker and result databases.
    INSTANCE_DIR: Path | None = Path(tempfile.mkdtemp(prefix=f"aktorskab-test-{RUN_ID}-"))
    TEST_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'aktorskab.db'}"
    APP_DATABASE_URL = TEST_DATABASE_URL  # SQLite has no roles: one connection for everything
    TEST_REDIS_URL: str | None = None
else:
    INSTANCE_DIR = None
    TEST_DATABASE_URL = (
        os.environ.get(
            "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/aktorskab_test"
        )
        + f"_{RUN_ID}"
    )
    # The app and workers connect as the non-owner role that row-level security binds;
    # migrations and test housekeeping connect as the owner.
    APP_DATABASE_URL = (
        make_url(TEST_DATABASE_URL)
        .set(username="aktorskab_app")
        .render_as_string(hide_password=False)
    )
    TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# AKTOR_ENV=production demands a REDIS_URL; on the SQLite pass a closed port (nothing of the
# production app's behaviour under test needs Redis to answer: rate limits fall back to memory).
PRODUCTION_REDIS_URL = TEST_REDIS_URL or "redis://127.0.0.1:9/0"


def app_overrides(**extra) -> dict:
    """``create_app`` overrides for an app on this run's database (and Redis on PostgreSQL)."""
    overrides = {
        "ENV": "test",
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": APP_DATABASE_URL,
        "CELERY_QUEUE": TEST_QUEUE,
    }
    if SQLITE:
        overrides.update(INSTANCE_PATH=str(INSTANCE_DIR), REDIS_URL=None)
    else:
        overrides.update(SQLALCHEMY_OWNER_URI=TEST_DATABASE_URL, REDIS_URL=TEST_REDIS_URL)
    overrides.update(extra)
    return overrides


def derived_database_url(url: str, suffix: str) -> str:
    """Another database of this run beside ``url`` (its name plus ``suffix``)."""
    if url.startswith("sqlite"):
        path = Path(make_url(url).database)
        return f"sqlite:///{path.with_name(path.stem + suffix + path.suffix)}"
    return url + suffix


def app_role_url(url: str) -> str:
    """``url`` as the app connects to it: the non-owner role on PostgreSQL, itself on SQLite."""
    if url.startswith("sqlite"):
        return url
    return make_url(url).set(username="aktorskab_app").render_as_string(hide_password=False)


def recreate_database(url: str) -> None:
    """Drop and create the test database, so every run starts from an empty schema."""
    if url.startswith("sqlite"):
        _remove_sqlite_files(url)
        return
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid()",
            (parsed.database,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}"')
        conn.execute(f'CREATE DATABASE "{parsed.database}"')


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        _remove_sqlite_files(url)
        return
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid()",
            (parsed.database,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}"')


def _remove_sqlite_files(url: str) -> None:
    path = Path(make_url(url).database)
    path.parent.mkdir(parents=True, exist_ok=True)
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        name.unlink(missing_ok=True)


def remove_instance_dir() -> None:
    """The SQLite run's temporary folder, at the end of the run."""
    if INSTANCE_DIR is not None:
        shutil.rmtree(INSTANCE_DIR, ignore_errors=True)


def empty_tables(url: str) -> None:
    """Every table of the schema emptied, ids restarting at 1 (as the owner on PostgreSQL)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    from web.extensions import db

    tables = db.metadata.sorted_tables
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        with engine.begin() as conn:
            for table in reversed(tables):
                conn.execute(table.delete())
            if conn.execute(
                text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
            ).first():
                conn.execute(text("DELETE FROM sqlite_sequence"))
        engine.dispose()
        return
    names = ", ".join(f'"{t.name}"' for t in tables)
    owner = create_engine(url)
    for attempt in range(5):
        # A worker process that a test stopped a moment ago may still hold a lock on one
        # table while TRUNCATE takes them all: PostgreSQL breaks that deadlock; try again.
        try:
            with owner.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            break
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.5)
    owner.dispose()


# Ports for the servers the tests start (SMTP, identity providers, gunicorn, the e2e stack): each
# backend's pass has a range of its own, below the kernel's ephemeral ports (32768-60999, which
# bind(0) and outgoing connections take), so the two passes of `make test`, running at the same
# time, never pick the same port between choosing it and their server binding it. A run starts
# at an offset of its own and never hands out a port twice.
PORT_RANGES = {"postgresql": range(20000, 26000), "sqlite": range(26000, 32000)}
_ports = PORT_RANGES[TEST_BACKEND]
_next_port = iter(_ports[(int(RUN_ID) * 97 + i) % len(_ports)] for i in range(len(_ports)))


def free_port() -> int:
    """A port of this pass's range that nothing listens on now."""
    for port in _next_port:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port left in {_ports}")


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


_watchdog: subprocess.Popen | None = None


def start_watchdog() -> None:
    """This run's ``tests.reaper`` watchdog, once: it kills the run's processes when we die."""
    global _watchdog
    if _watchdog is not None and _watchdog.poll() is None:
        return
    env = {k: v for k, v in os.environ.items() if k != RUN_MARK}
    env["PYTHONPATH"] = str(ROOT)
    _watchdog = subprocess.Popen(
        [sys.executable, "-m", "tests.reaper", RUN_ID],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        start_new_session=True,
    )


def marked_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with this run's mark, which every descendant inherits (see ``tests.reaper``)."""
    start_watchdog()
    return {**env, RUN_MARK: RUN_ID}


class Process:
    """A background process whose output is kept in a log file for failing tests to show.

    It and every process it starts die with the test run, even if pytest is killed
    (``tests.reaper``); ``stop`` ends its whole process group.
    """

    def __init__(self, args: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT):
        self.log = log
        self._file = log.open("wb")
        self.popen = subprocess.Popen(
            args,
            env=marked_env(env),
            cwd=cwd,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )

    def output(self) -> str:
        if not self._file.closed:
            self._file.flush()
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = 15, timeout: float = 15) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, 9)
                self.popen.wait(timeout)
        self._file.close()


def child_env(**overrides: str | None) -> dict[str, str]:
    """The environment for a child process: this one, minus our settings, plus ``overrides``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "INSTANCE_PATH", "AKTOR_ENV"}
    }
    env["PYTHONPATH"] = str(ROOT)
    env["CELERY_QUEUE"] = TEST_QUEUE
    env[RUN_MARK] = RUN_ID
    if INSTANCE_DIR is not None:
        # Without REDIS_URL a child uses the embedded default: this run's broker and results.
        env["INSTANCE_PATH"] = str(INSTANCE_DIR)
    for key, value in overrides.items():
        if value is not None:
            env[key] = value
    return env


@contextmanager
def serving(process: Process, ready_url: str, what: str, timeout: float = 30) -> Iterator[Process]:
    """``process``, once ``ready_url`` answers 2xx (within ``timeout`` s); stopped afterwards."""

    def up() -> bool:
        assert process.popen.poll() is None, process.output()
        try:
            return requests.get(ready_url, timeout=2).ok
        except requests.ConnectionError:
            return False

    try:
        wait_for(up, timeout, what)
        yield process
    finally:
        process.stop()


def worker_env(
    database_url: str | None = None, smtp_port: int | None = None, **more: str | None
) -> dict[str, str]:
    """A test-mode worker's environment on this run's database (the app's role unless
    ``database_url``) and Redis; with ``smtp_port`` it mails there, at any hour."""
    mail = (
        {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "REMINDER_SEND_WINDOW": "always"}
        if smtp_port is not None
        else {}
    )
    return child_env(
        DATABASE_URL=database_url or APP_DATABASE_URL,
        REDIS_URL=TEST_REDIS_URL,
        AKTOR_ENV="test",
        SECRET_KEY="test-secret",
        **mail,
        **more,
    )


def celery_worker(
    env: dict[str, str],
    log: Path,
    *extra: str,
    queues: str | None = None,
    wrapper: tuple[str, ...] = (),
) -> Process:
    """A worker on this run's queues: every kind, or the ``queues`` named (WORKER_QUEUES);
    ``wrapper`` goes before its command (e.g. ``unshare -rn``: no network)."""
    if queues is not None:
        env = {**env, "WORKER_QUEUES": queues}
    return Process(
        [
            *wrapper,
            sys.executable,
            "-m",
            "celery",
            "-A",
            "worker.main",
            "worker",
            "--loglevel=INFO",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            *extra,
        ],
        env,
        log,
    )


def gunicorn_server(
    env: dict[str, str], log: Path, port: int, workers: int = 2, app: str = "web:create_app()"
) -> Process:
    """The app as production serves it (web/gunicorn_conf.py), on loopback at ``port``."""
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    return Process([sys.executable, "-m", "gunicorn", "-c", "web/gunicorn_conf.py", app], env, log)


def flask_command(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    """Run ``flask ARGS`` in a child process (FLASK_APP=web); its output, or an error with it."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        env=marked_env({**env, "FLASK_APP": "web"}),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=die_with_parent,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout
