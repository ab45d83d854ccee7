"""Shared fixtures: one migrated database per run, one rolled-back transaction per test.

``TEST_BACKEND`` chooses the backend (``tests/services.py``): ``postgresql`` (default) talks to
the real PostgreSQL and Redis on loopback; ``sqlite`` runs on the embedded default, a SQLite
file (WAL) and Celery's SQLAlchemy transport in a temporary folder of the run. A test that
crosses processes (a Celery worker, a served app) uses ``committed_db`` instead of
``db_session`` so that the other process sees its rows. A test that needs what only PostgreSQL
has carries ``@pytest.mark.postgres("reason")`` and is skipped, with the reason, on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.orm import scoped_session, sessionmaker

from tests import factories
from tests.services import (
    INSTANCE_DIR,
    SQLITE,
    TEST_BACKEND,
    TEST_DATABASE_URL,
    TEST_QUEUE,
    TEST_REDIS_URL,
    app_overrides,
    drop_database,
    empty_tables,
    recreate_database,
    remove_instance_dir,
)
from web import create_app
from web.extensions import db
from web.tenancy import tenant_scope
from web.tenants.models import Tenant


def pytest_report_header(config) -> str:
    return f"TEST_BACKEND={TEST_BACKEND}" + (f" (instance {INSTANCE_DIR})" if SQLITE else "")


def pytest_collection_modifyitems(config, items) -> None:
    """``postgres(reason)``: a reason is required; on SQLite the test is skipped with it."""
    for item in items:
        if "overview_cache" in getattr(item, "fixturenames", ()):
            item.add_marker(
                pytest.mark.postgres(
                    "the overview's cache lives in Redis; the embedded default computes it in the "
                    "request (tests/dashboards/test_overview_refresh.py tests that)"
                )
            )
        marker = item.get_closest_marker("postgres")
        if marker is None:
            continue
        reason = marker.args[0] if marker.args else marker.kwargs.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.postgres needs a one-line reason")
        if SQLITE:
            item.add_marker(pytest.mark.skip(reason=f"needs PostgreSQL: {reason}"))


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    recreate_database(TEST_DATABASE_URL)
    app = create_app(app_overrides(WTF_CSRF_ENABLED=False))
    if SQLITE:
        _sqlite_savepoints(app)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    drop_database(TEST_DATABASE_URL)
    remove_instance_dir()


# A connection whose outer transaction a test rolls back (``db_session``, ``module_db``).
_SAVEPOINTS = "test_savepoints"


def _sqlite_savepoints(app: Flask) -> None:
    """SQLAlchemy's recipe for SAVEPOINTs with pysqlite, on this process's engine, for the
    connections of a rolled-back outer transaction only (``_outer_connection``).

    pysqlite begins a transaction only before a write and would commit such an outer
    transaction at its first RELEASE SAVEPOINT; so those connections are put in autocommit and
    SQLAlchemy's "begin" emits ``BEGIN``. Every other connection (``committed_db`` tests, whose
    commits other processes see) keeps pysqlite's own control, as the product's do: a
    transaction begins at its first write, with nothing read before it in the transaction. An
    explicit ``BEGIN`` there would make a read then a write an upgrade of a read transaction,
    which SQLite refuses at once ("database is locked", no busy wait) while a worker process
    holds the write lock or has committed since the read.
    """
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        dbapi_conn = conn.connection.dbapi_connection
        if conn.get_execution_options().get(_SAVEPOINTS):
            if dbapi_conn.isolation_level is not None:
                dbapi_conn.isolation_level = None
            conn.exec_driver_sql("BEGIN")
        elif dbapi_conn.isolation_level is None:
            dbapi_conn.isolation_level = ""


def _outer_connection(app: Flask):
    """A connection for an outer transaction that the test rolls back."""
    with app.app_context():
        return db.engine.connect().execution_options(**{_SAVEPOINTS: True})


@contextmanager
def _session_on(connection) -> Iterator[scoped_session]:
    """db.session bound to ``connection``: each commit releases a savepoint of it."""
    original = db.session
    session = scoped_session(
        sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
    )
    db.session = session
    try:
        yield session
    finally:
        session.remove()
        db.session = original


def _deferred_triggers_immediate(connection) -> None:
    """A test's transaction never commits, so PostgreSQL's triggers deferred to the commit (the
    search's stamp, migration 0026) would never fire in it: here they fire at each row, as
    SQLite's do. tests/themes/test_freshness.py tests the deferred behaviour itself."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET CONSTRAINTS ALL IMMEDIATE")


# The module_db connection of each module that has one open (by module name).
_module_connections: dict[str, object] = {}


@pytest.fixture(scope="module")
def module_db(app: Flask, request) -> Iterator[object]:
    """One connection and transaction for a module whose tests share rows built once (a world
    fixture of module scope over ``module_make``); rolled back after the module. Each test's
    ``db_session`` is then a savepoint of it, rolled back after the test (also in the module's
    tests that do not use the shared rows: on SQLite another connection would wait for its
    write lock). A module that builds rows once commits in none of its tests."""
    connection = _outer_connection(app)
    outer = connection.begin()
    _deferred_triggers_immediate(connection)
    _module_connections[request.module.__name__] = connection
    try:
        yield connection
    finally:
        del _module_connections[request.module.__name__]
        outer.rollback()
        connection.close()


@pytest.fixture(scope="module")
def module_make(app: Flask, module_db) -> Iterator[factories.Factory]:
    """Factories for a module's shared rows, written into ``module_db``."""
    with _session_on(module_db):
        yield factories.Factory(app)


@pytest.fixture(scope="module")
def module_scope(app: Flask, module_make) -> Callable[[Tenant], AbstractContextManager[None]]:
    """``scope`` for a module's shared rows: a block run as a tenant, in a request context,
    writing into ``module_db``."""
    return _scope_in(app)


def _scope_in(app: Flask) -> Callable[[Tenant], AbstractContextManager[None]]:
    @contextmanager
    def enter(tenant: Tenant) -> Iterator[None]:
        with app.test_request_context("/"), tenant_scope(tenant.id):
            yield

    return enter


@pytest.fixture
def db_session(app: Flask, request) -> Iterator[scoped_session]:
    """db.session bound to one connection whose outer transaction is rolled back afterwards.

    Each commit inside the test releases a savepoint; each request's teardown closes the
    session. No app context stays pushed, so every request gets its own ``g``. In a module
    that builds its rows once (``module_db``), the test runs in a savepoint of that
    connection instead.
    """
    if "module_db" in request.fixturenames:
        request.getfixturevalue("module_db")
    connection = _module_connections.get(request.module.__name__)
    if connection is not None:
        own = None
        outer = connection.begin_nested()
    else:
        own = connection = _outer_connection(app)
        outer = connection.begin()
        _deferred_triggers_immediate(connection)
    try:
        with _session_on(connection) as session:
            yield session
    finally:
        outer.rollback()
        if own is not None:
            own.close()


@pytest.fixture
def committed_db(app: Flask) -> Iterator[None]:
    """Real commits, visible to other processes; every table is emptied afterwards."""
    yield
    with app.app_context():
        db.session.remove()
    empty_tables(TEST_DATABASE_URL)


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
    return _scope_in(app)


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


@pytest.fixture
def sql_counter(app: Flask, db_session):
    """Count SQL per request, so an N+1 fails a test (the one counter: tests/querycount.py)::

    with sql_counter() as log:
        client.get(url)
    assert log.count <= 20, str(log)
    """
    from tests.querycount import count_queries

    with app.app_context():
        engine = db.engine
    return lambda: count_queries(engine)


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
    if TEST_REDIS_URL is None:
        return  # the SQLite run's broker is a file in its temporary folder
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
    app.config["OVERVIEW_CACHE_SECONDS"] = 0  # off again, as in every test
    app.extensions.pop(cache._EXTENSION, None)
