"""The one scoping mechanism for tenant-owned data.

A request resolves its tenant from the URL (``/t/<slug>/…``) and enters ``tenant_scope``; a
Celery task receives ``tenant_id`` and enters the same scope; a CLI command does too. While a
scope is active, every ORM SELECT, UPDATE and DELETE that touches a ``TenantScoped`` model is
filtered to that tenant, and every new row is stamped with it. Outside a scope, touching
tenant-owned data raises ``TenantScopeMissing`` rather than silently seeing every tenant.
"""

from __future__ import annotations

import copy
import functools
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import TypeVar

from flask import Blueprint, abort, current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text as sql_text
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    make_transient_to_detached,
    with_loader_criteria,
)
from sqlalchemy.orm.util import identity_key

from web.extensions import db
from web.models import TenantScoped

T = TypeVar("T")

_NO_TENANT = object()


class TenantScopeMissing(RuntimeError):
    """Tenant-owned data was touched outside ``tenant_scope``."""


class CrossTenantWrite(RuntimeError):
    """A row of another tenant was about to be written inside a tenant scope."""


def current_tenant_id() -> int | None:
    if not has_app_context():
        return None
    return g.get("tenant_id")


def tenant_lock(name: str) -> None:
    """Hold off another transaction doing ``name`` for the current tenant until this one ends.

    A PostgreSQL advisory lock released at commit or rollback; SQLite serialises writers anyway.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sql_text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"{name}:{current_tenant_id()}"},
        )


@contextmanager
def tenant_scope(tenant_id: int) -> Iterator[int]:
    """Run the enclosed block as ``tenant_id``; restores the previous scope afterwards."""
    previous = g.get("tenant_id", _NO_TENANT)
    set_current_tenant(tenant_id)
    try:
        yield tenant_id
    finally:
        set_current_tenant(None if previous is _NO_TENANT else previous)


def set_current_tenant(tenant_id: int | None) -> None:
    """Enter (or leave, with None) a tenant's scope, in the ORM filter and in the database."""
    if tenant_id is None:
        g.pop("tenant_id", None)
    else:
        g.tenant_id = tenant_id
    _sync_database_tenant(db.session())


# PostgreSQL row-level security is the third net: each transaction carries the tenant as the
# transaction-local setting app.tenant_id (set_config(..., true)), which the policies compare
# with tenant_id. It ends with the transaction, so a pooled connection never carries a tenant
# into the next request or task.
_RLS_KEY = "aktorskab_rls_tenant"


def _sync_database_tenant(session: Session) -> None:
    if not session.in_transaction():
        return  # after_begin sets it when the next transaction starts
    # If this takes a connection from the pool, the checkout begins the transaction with the
    # tenant already set (below).
    token = _BEGIN_WITH_TENANT.set(current_tenant_id())
    try:
        connection = session.connection()
    finally:
        _BEGIN_WITH_TENANT.reset(token)
    _apply(connection)


def _apply(connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    wanted = current_tenant_id()
    if connection.info.get(_RLS_KEY, _NO_TENANT) == wanted:
        return
    connection.exec_driver_sql(
        "SELECT set_config('app.tenant_id', %(tenant)s, true)",
        {"tenant": "" if wanted is None else str(wanted)},
    )
    connection.info[_RLS_KEY] = wanted


@event.listens_for(Session, "after_begin")
def _tenant_into_transaction(session: Session, transaction, connection) -> None:
    # A new transaction starts without the setting (it is transaction-local), unless the pool's
    # checkout has just begun it with the tenant (``_begin_with_tenant``).
    begun = connection.info.pop(_BEGUN_WITH, _NO_TENANT)
    connection.info[_RLS_KEY] = None if begun is _NO_TENANT else begun
    _apply(connection)


# --- a connection's first round trip (PostgreSQL) --------------------------------------------
# With the pool's pre-ping, every page paid three round trips before its first statement: the
# ping, BEGIN and set_config. They are one here. The pool's pre-ping is off on PostgreSQL and
# each checkout checks the connection itself:
#
# - when the session takes the connection to enter a tenant's scope (``_sync_database_tenant``,
#   every tenant page and task), one simple query "BEGIN; SELECT set_config('app.tenant_id',
#   '<id>', true)" both proves the connection alive and opens its transaction with the tenant
#   set; SQLAlchemy then begins that same transaction (psycopg sends no BEGIN while one is
#   open) and ``after_begin`` finds the tenant in place. It ends with the transaction as before,
#   so PgBouncer's transaction pooling sees one ordinary transaction;
# - every other checkout pings exactly as the pre-ping did.
#
# Either way a failure raises DisconnectionError, on which the pool discards the connection and
# tries once more on a new one: the pre-ping's guarantee, after a database or pooler restart.
_BEGIN_WITH_TENANT: ContextVar[int | None] = ContextVar("aktorskab_begin_with", default=None)
_BEGUN_WITH = "aktorskab_begun_with"


def engine_options(config: dict) -> None:
    """PostgreSQL: the checkout below replaces the pool's pre-ping (before the engine exists)."""
    if str(config.get("SQLALCHEMY_DATABASE_URI") or "").startswith("postgresql"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}),
            "pool_pre_ping": False,
        }


def init_engine(engine) -> None:
    """Install the checkout on a psycopg engine (``create_app``)."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
    from sqlalchemy.exc import DisconnectionError

    dialect = engine.dialect

    @event.listens_for(engine, "checkout")
    def _check_out(dbapi_connection, record, proxy) -> None:
        record.info.pop(_BEGUN_WITH, None)
        tenant = _BEGIN_WITH_TENANT.get()
        try:
            if tenant is not None and _may_begin(dbapi_connection):
                _begin_with_tenant(dbapi_connection, tenant)
                record.info[_BEGUN_WITH] = tenant
            else:
                dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # A connection that failed either is not reused: the pool replaces it, once.
            raise DisconnectionError(f"checkout: {error}") from error


def _may_begin(dbapi_connection) -> bool:
    """Idle, not autocommit, and with psycopg's plain BEGIN (no isolation level of its own)."""
    from psycopg import pq

    return (
        dbapi_connection.info.transaction_status == pq.TransactionStatus.IDLE
        and not dbapi_connection.autocommit
        and dbapi_connection.isolation_level is None
        and dbapi_connection.read_only is None
        and dbapi_connection.deferrable is None
    )


def _begin_with_tenant(dbapi_connection, tenant_id: int) -> None:
    from psycopg import errors, generators, pq

    pgconn = dbapi_connection.pgconn
    # Simple query protocol (two statements, no parameters): the id is an int, never text.
    pgconn.send_query(b"BEGIN; SELECT set_config('app.tenant_id', '%d', true)" % int(tenant_id))
    results = dbapi_connection.wait(generators.execute(pgconn))
    ok = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK)
    for result in results:
        if result.status not in ok:
            raise errors.error_from_result(result, encoding=dbapi_connection.info.encoding)
    if len(results) != 2:
        raise errors.InternalError(f"BEGIN and set_config answered {len(results)} results")


def get_or_404(model: type[T], ident: object, *options) -> T:
    """Fetch a tenant-owned row by id; another tenant's row is indistinguishable from none.
    ``options``: loader options for the row's relationships (e.g. ``joinedload``)."""
    obj = db.session.get(model, ident, options=options) if _valid_ident(ident) else None
    if obj is None or getattr(obj, "tenant_id", None) != current_tenant_id():
        abort(404)
    return obj


def _valid_ident(ident: object) -> bool:
    return isinstance(ident, int) and 0 < ident < 2**31


def _touches_tenant_data(state: ORMExecuteState) -> bool:
    return any(issubclass(m.class_, TenantScoped) for m in state.all_mappers)


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    if state.is_column_load or state.execution_options.get("skip_tenant_scope"):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    tenant_id = current_tenant_id()
    if tenant_id is None:
        # Lazy loads start from an already scoped row; everything else must name its tenant.
        if not state.is_relationship_load and _touches_tenant_data(state):
            raise TenantScopeMissing("tenant-owned data queried outside tenant_scope()")
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
        )
    )


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, flush_context, instances) -> None:
    tenant_id = current_tenant_id()
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if not isinstance(obj, TenantScoped):
            continue
        if tenant_id is None:
            raise TenantScopeMissing(f"{type(obj).__name__} written outside tenant_scope()")
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise CrossTenantWrite(f"{type(obj).__name__} of tenant {obj.tenant_id}")


# --- the tenant of a URL ----------------------------------------------------------------------
# Every request starts by resolving /t/<slug>/, a row that changes a few times a year (name,
# language, settings). Each process keeps a copy for ``tenant_cache_seconds()`` and drops it at
# once when it writes a tenant itself; other processes see a change within those seconds.
# At most TENANT_COPIES of them, the least recently used dropped first, so a process's memory
# stays bounded however many tenants one deployment serves (98 municipalities fit many times).
TENANT_COPIES = 256
_tenant_copies: OrderedDict[str, tuple[float, dict]] = OrderedDict()


@functools.cache
def _tenant_manager():  # the class manager of Tenant, once imported
    from web.tenants.models import Tenant

    return sa_inspect(Tenant).class_manager


def tenant_cache_seconds() -> float:
    """5 s by default; 0 (no copies) in tests (``web.config``)."""
    return float(current_app.config["TENANT_CACHE_SECONDS"])


def tenant_by_slug(slug: str):
    """The tenant with ``slug`` as a row of this request's session, or None."""
    from web.tenants.models import Tenant

    ttl = tenant_cache_seconds()
    copied = _tenant_copies.get(slug) if ttl > 0 else None
    if copied is not None and time.monotonic() - copied[0] < ttl:
        with suppress(KeyError):  # another thread may just have dropped it
            _tenant_copies.move_to_end(slug)
        values = copied[1]
        key = identity_key(Tenant, values["id"])
        tenant = db.session.identity_map.get(key)
        if tenant is None:
            # Attached as if just loaded: no SQL, no pending changes (settings copied, since
            # code may change the dict in place).
            tenant = _tenant_manager().new_instance()  # as the ORM loads a row: no __init__
            tenant.__dict__.update(values, settings=copy.deepcopy(values["settings"]))
            make_transient_to_detached(tenant)
            db.session.add(tenant)
        return tenant
    tenant = db.session.scalar(db.select(Tenant).filter_by(slug=slug))
    if tenant is None:
        _tenant_copies.pop(slug, None)
    elif ttl > 0:
        _tenant_copies[slug] = (
            time.monotonic(),
            {
                attr.key: copy.deepcopy(getattr(tenant, attr.key))
                for attr in sa_inspect(Tenant).column_attrs
            },
        )
        _tenant_copies.move_to_end(slug)
        while len(_tenant_copies) > TENANT_COPIES:
            with suppress(KeyError):  # emptied meanwhile by another thread
                _tenant_copies.popitem(last=False)
    return tenant


def forget_tenant_copies() -> None:
    """Drop this process's copies (after a change to tenants that bypassed the ORM's flush)."""
    _tenant_copies.clear()


@event.listens_for(Session, "before_flush")
def _forget_changed_tenants(session: Session, flush_context, instances) -> None:
    from web.tenants.models import Tenant

    if any(isinstance(obj, Tenant) for obj in [*session.dirty, *session.deleted]):
        forget_tenant_copies()


def make_tenant_blueprint(children: list[Blueprint]) -> Blueprint:
    """The parent of every tenant page: resolves ``/t/<tenant>/`` once per request."""
    from web.auth.session import load_user

    parent = Blueprint("t", __name__, url_prefix="/t/<tenant>")

    @parent.url_value_preprocessor
    def _resolve_tenant(endpoint, values) -> None:
        slug = (values or {}).pop("tenant", None)
        tenant = tenant_by_slug(slug) if slug else None
        if tenant is None:
            abort(404)
        g.tenant = tenant
        # Plain strings for the error path (logs, error pages): readable when the session is
        # broken, where the ORM object's attributes are not.
        g.tenant_slug, g.tenant_name = tenant.slug, tenant.name
        set_current_tenant(tenant.id)
        g.user = load_user(tenant.id)

    @parent.url_defaults
    def _add_tenant(endpoint, values) -> None:
        slug = g.get("tenant_slug")
        if slug is None and g.get("tenant") is not None:
            slug = g.tenant.slug  # a context that set g.tenant by hand (a script, a test)
        if "tenant" not in values and slug is not None:
            values["tenant"] = slug

    for child in children:
        parent.register_blueprint(child)
    return parent
