"""Statement timeouts: a query that runs too long is ended, and the request answers 503.

The web tier's database sessions get ``DATABASE_STATEMENT_TIMEOUT_MS`` (default 30 s), a
worker's ``WORKER_STATEMENT_TIMEOUT_MS`` (default 10 min: reports and retention walk whole
tenants); 0 turns the limit off. Which one applies is the process's kind: ``worker.main``
creates its app with ``PROCESS_KIND=worker``.

- PostgreSQL: the server's own ``statement_timeout``, set for every connection of the pool in
  the connection's start-up options, so it holds for every statement, in every transaction,
  whoever opened it; a statement past it fails with ``QueryCanceled`` (SQLSTATE 57014).
- SQLite has no such setting. The embedded default gets the same promise from SQLite's
  progress handler: each statement notes its deadline when it starts, and the handler (called
  every few thousand virtual-machine steps) interrupts it once the deadline has passed, which
  fails it with ``OperationalError: interrupted``. Waiting for a lock is not a statement
  running: that wait stays bounded by the busy timeout (30 s) as before.

Through a pooler in transaction mode (``DATABASE_TRANSACTION_POOLER``: PgBouncer) a connection's
start-up options reach no server connection of its own (PgBouncer refuses or ignores them), so
none are sent, and the timeout is the database role's setting (``ALTER ROLE aktorskab_app SET
statement_timeout = '30s'``, one for the web tier's role and one for the workers'). psycopg's
server-side prepared statements are switched off there too: the next transaction may run on
another server connection, which never saw them.

A timed-out statement in a request is answered 503 by ``web.errorpages`` (translated page, or
the API's JSON error), never held.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

WEB_DEFAULT_MS = 30_000
WORKER_DEFAULT_MS = 600_000
_PROGRESS_STEPS = 10_000


def timeout_ms(config: dict[str, Any]) -> int:
    if config.get("PROCESS_KIND") == "worker":
        return int(config.get("WORKER_STATEMENT_TIMEOUT_MS", WORKER_DEFAULT_MS))
    return int(config.get("DATABASE_STATEMENT_TIMEOUT_MS", WEB_DEFAULT_MS))


def engine_options(config: dict[str, Any]) -> None:
    """Add PostgreSQL's ``statement_timeout`` to the engine's connect options (before the
    engine exists)."""
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("postgresql"):
        return
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    if config.get("DATABASE_TRANSACTION_POOLER"):
        connect_args["prepare_threshold"] = None
    else:
        extra = f"-c statement_timeout={timeout_ms(config)}"
        connect_args["options"] = f"{connect_args.get('options', '')} {extra}".strip()
    options["connect_args"] = connect_args
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def init_sqlite(app: Flask, engine) -> None:
    """SQLite: the progress handler ends a statement past its deadline."""
    limit = timeout_ms(app.config) / 1000

    @event.listens_for(engine, "connect")
    def _handler(dbapi_conn, record) -> None:
        record.info["deadline"] = None

        def check() -> int:
            deadline = record.info.get("deadline")
            return 1 if deadline is not None and time.monotonic() > deadline else 0

        if limit > 0:
            dbapi_conn.set_progress_handler(check, _PROGRESS_STEPS)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany) -> None:
        if limit > 0:
            conn.connection._connection_record.info["deadline"] = time.monotonic() + limit

    @event.listens_for(engine, "after_cursor_execute")
    def _end(conn, cursor, statement, parameters, context, executemany) -> None:
        conn.connection._connection_record.info["deadline"] = None


def is_statement_timeout(exc: BaseException) -> bool:
    if not isinstance(exc, OperationalError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "57014":  # psycopg: QueryCanceled
        return True
    return type(orig).__module__.startswith("sqlite3") and "interrupted" in str(orig)
