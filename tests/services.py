"""Real services for the tests: PostgreSQL, Redis and background processes on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
# Each pytest run gets its own database and Celery queue, so runs on one machine never collide.
RUN_ID = f"{os.getpid()}"
TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/aktorskab_test"
) + f"_{RUN_ID}"
# The app and workers connect as the non-owner role that row-level security binds; migrations
# and test housekeeping connect as the owner.
APP_DATABASE_URL = make_url(TEST_DATABASE_URL).set(username="aktorskab_app").render_as_string(
    hide_password=False)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_QUEUE = f"aktorskab-test-{RUN_ID}"


def recreate_database(url: str) -> None:
    """Drop and create the test database, so every run starts from an empty schema."""
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid()", (parsed.database,))
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}"')
        conn.execute(f'CREATE DATABASE "{parsed.database}"')


def drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid()", (parsed.database,))
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class Process:
    """A background process whose output is kept in a log file for failing tests to show."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT):
        self.log = log
        self._file = log.open("wb")
        self.popen = subprocess.Popen(args, env=env, cwd=cwd, stdout=self._file,
                                      stderr=subprocess.STDOUT, start_new_session=True)

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
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "INSTANCE_PATH", "AKTOR_ENV"}}
    env["PYTHONPATH"] = str(ROOT)
    env["CELERY_QUEUE"] = TEST_QUEUE
    for key, value in overrides.items():
        if value is not None:
            env[key] = value
    return env


def celery_worker(env: dict[str, str], log: Path, *extra: str) -> Process:
    return Process([sys.executable, "-m", "celery", "-A", "worker.main", "worker",
                    "--loglevel=INFO", "--pool=solo", "--without-gossip", "--without-mingle",
                    "-Q", env.get("CELERY_QUEUE", TEST_QUEUE),
                    *extra], env, log)


def gunicorn_server(env: dict[str, str], log: Path, port: int, workers: int = 2,
                    app: str = "web:create_app()") -> Process:
    """The app as production serves it (web/gunicorn_conf.py), on loopback at ``port``."""
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    return Process([sys.executable, "-m", "gunicorn", "-c", "web/gunicorn_conf.py", app],
                   env, log)


def flask_command(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    """Run ``flask ARGS`` in a child process (FLASK_APP=web); its output, or an error with it."""
    result = subprocess.run([sys.executable, "-m", "flask", *args],
                            env={**env, "FLASK_APP": "web"}, cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout
