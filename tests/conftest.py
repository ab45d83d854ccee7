"""Shared fixtures: one migrated PostgreSQL database per run, one rolled-back transaction per test.

Tests talk to the real PostgreSQL and Redis on loopback (see ``tests/services.py``); a test that
crosses processes (a Celery worker, a served app) uses ``committed_db`` instead of ``db_session``
so that the other process sees its rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import scoped_session, sessionmaker

from tests import factories
from tests.services import (
    APP_DATABASE_URL,
    TEST_DATABASE_URL,
    TEST_QUEUE,
    TEST_REDIS_URL,
    drop_database,
    recreate_database,
)
from web import create_app
from web.extensions import db
from web.tenancy import tenant_scope
from web.tenants.models import Tenant


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    recreate_database(TEST_DATABASE_URL)
    app = create_app({
        "ENV": "test",
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": APP_DATABASE_URL,
        "SQLALCHEMY_OWNER_URI": TEST_DATABASE_URL,
        "REDIS_URL": TEST_REDIS_URL,
        "CELERY_QUEUE": TEST_QUEUE,
        "WTF_CSRF_ENABLED": False,
    })
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    drop_database(TEST_DATABASE_URL)


@pytest.fixture
def db_session(app: Flask) -> Iterator[scoped_session]:
    """db.session bound to one connection whose outer transaction is rolled back afterwards.

    Each commit inside the test releases a savepoint; each request's teardown closes the
    session. No app context stays pushed, so every request gets its own ``g``.
    """
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    session = scoped_session(sessionmaker(bind=connection, expire_on_commit=False,
                                          join_transaction_mode="create_savepoint"))
    db.session = session
    try:
        yield session
    finally:
        session.remove()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def committed_db(app: Flask) -> Iterator[None]:
    """Real commits, visible to other processes; every table is emptied afterwards."""
    yield
    with app.app_context():
        db.session.remove()
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    owner = create_engine(TEST_DATABASE_URL)
    for attempt in range(5):
        # A worker process that a test stopped a moment ago may still hold a lock on one
        # table while TRUNCATE takes them all: PostgreSQL breaks that deadlock; try again.
        try:
            with owner.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            break
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.5)
    owner.dispose()


@pytest.fixture
def client(app: Flask, db_session):
    return app.test_client()


@pytest.fixture
def ctx(app: Flask, db_session) -> Iterator[None]:
    """A request context, for calling services directly."""
    with app.test_request_context("/"):
        yield


@pytest.fixture
def scope(app: Flask, db_session) -> Callable[[Tenant], AbstractContextManager[None]]:
    """Run a block as a tenant, in a request context (services use gettext and ``g``)."""

    @contextmanager
    def enter(tenant: Tenant) -> Iterator[None]:
        with app.test_request_context("/"), tenant_scope(tenant.id):
            yield

    return enter


@pytest.fixture
def make(app: Flask, db_session) -> factories.Factory:
    return factories.Factory(app)


@pytest.fixture
def committed_make(app: Flask, committed_db) -> factories.Factory:
    """Factories whose rows are really committed (for tests that cross processes)."""
    return factories.Factory(app)


@pytest.fixture
def login(client):
    """Sign ``user`` in on the test client (the SSO flow itself is tested in tests/auth)."""
    from web.auth.session import session_payload

    def sign_in(user):
        with client.session_transaction() as session:
            session.clear()
            session.update(session_payload(user))
        return client

    return sign_in


class SqlLog:
    """The statements sent inside a ``sql_counter()`` block (savepoint bookkeeping excluded)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return "\n".join(f"{i}: {s}" for i, s in enumerate(self.statements, 1))


@pytest.fixture
def sql_counter(app: Flask, db_session):
    """Count SQL per request, so an N+1 fails a test::

        with sql_counter() as log:
            client.get(url)
        assert log.count <= 20, str(log)
    """
    from contextlib import contextmanager

    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    @contextmanager
    def counting():
        log = SqlLog()

        def record(conn, cursor, statement, parameters, context, executemany) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT",
                                                          "ROLLBACK TO SAVEPOINT")):
                log.statements.append(" ".join(statement.split()))

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield log
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback that collects messages (see tests/smtp.py)."""
    from tests.smtp import running_smtp_server

    with running_smtp_server() as sink:
        yield sink


@pytest.fixture(autouse=True)
def _celery_app_is_current(request):
    """Creating a Celery app makes it current; tests that build extra apps must not leave
    shared tasks bound to theirs (they would publish to another queue)."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").extensions["celery"].set_current()


@pytest.fixture(scope="session", autouse=True)
def _drop_this_runs_queue() -> Iterator[None]:
    """Commits in tests without a worker queue tasks (e.g. reminder planning after a cycle's
    dates changed); drop this run's Celery queue at the end so nothing piles up in Redis."""
    yield
    import redis

    try:
        client = redis.Redis.from_url(TEST_REDIS_URL)
        for key in client.scan_iter(match=f"*{TEST_QUEUE}*"):
            client.delete(key)
        client.close()
    except redis.RedisError:
        pass


@pytest.fixture
def overview_cache(app: Flask) -> Iterator[int]:
    """The HR overview's Redis cache on for one test (it is off in tests, so a test sees its own
    changes at once); yields its seconds. Afterwards every cached key of this run is dropped."""
    from web import cache

    app.config["OVERVIEW_CACHE_SECONDS"] = 60
    yield 60
    with app.app_context():
        client = cache._client()
        for key in client.scan_iter(match=cache._full_key("*")):
            client.delete(key)
    app.config.pop("OVERVIEW_CACHE_SECONDS")
    app.extensions.pop(cache._EXTENSION, None)
