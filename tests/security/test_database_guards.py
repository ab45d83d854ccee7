"""What the database itself refuses to the application's role, whatever SQL it runs
(issue 15, point 3): changing the audit log, and touching another tenant's row of the tenants
table. Plain SQL over fresh connections, no ORM."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.services import APP_DATABASE_URL, TEST_DATABASE_URL
from web.audit.services import record
from web.rls import RETENTION_ROLE

pytestmark = pytest.mark.postgres("the database's own refusals: roles, privileges, RLS, triggers")


def run(sql: str, tenant: int | None = None, *, role: str | None = None, **params):
    """One transaction over a fresh connection: as the app role, or as the owner switched to
    ``role``; with ``app.tenant_id`` set to ``tenant``."""
    engine = create_engine(APP_DATABASE_URL if role is None else TEST_DATABASE_URL)
    try:
        with engine.begin() as conn:
            if role is not None:
                conn.execute(text(f"SET LOCAL ROLE {role}"))
            if tenant is not None:
                conn.execute(
                    text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant)}
                )
            result = conn.execute(text(sql), params)
            return result.rowcount if not result.returns_rows else result.scalars().all()
    finally:
        engine.dispose()


@pytest.fixture
def logged(committed_make):
    a, b = committed_make.tenant("guard-a"), committed_make.tenant("guard-b")
    with committed_make.scope(a):
        entry = record("auth.login", subject="s-a")
    return a, b, entry.id


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = :id",
        "UPDATE audit_log SET event = 'x' WHERE id = :id",
        "UPDATE audit_log SET subject = 'erased-1-x' WHERE id = :id",
        "TRUNCATE audit_log",
        "TRUNCATE audit_log CASCADE",
    ],
)
def test_the_app_role_cannot_change_the_audit_log(logged, sql):
    a, _, entry_id = logged
    with pytest.raises(DBAPIError, match="permission denied"):
        run(sql, a.id, id=entry_id)
    assert run("SELECT count(*) FROM audit_log", a.id) == [1]


def test_the_retention_role_may_not_delete_recent_entries_either(logged):
    a, _, entry_id = logged
    with pytest.raises(DBAPIError, match="append-only"):
        run("DELETE FROM audit_log WHERE id = :id", a.id, role=RETENTION_ROLE, id=entry_id)
    assert run("SELECT audit_log_expire()", a.id) == [0]  # it decides the period itself
    # It may change nothing but the subject, and that only to a pseudonym.
    with pytest.raises(DBAPIError, match="permission denied"):
        run(
            "UPDATE audit_log SET event = 'x' WHERE id = :id",
            a.id,
            role=RETENTION_ROLE,
            id=entry_id,
        )
    with pytest.raises(DBAPIError, match="append-only"):
        run(
            "UPDATE audit_log SET subject = 'someone' WHERE id = :id",
            a.id,
            role=RETENTION_ROLE,
            id=entry_id,
        )
    with pytest.raises(DBAPIError, match="permission denied"):
        run("TRUNCATE audit_log", a.id, role=RETENTION_ROLE)
    assert run("SELECT count(*) FROM audit_log", a.id) == [1]


def test_expiry_removes_only_old_entries_of_the_current_tenant(committed_make):
    a, b = committed_make.tenant("old-a"), committed_make.tenant("old-b")
    old = datetime.now(UTC) - timedelta(days=37 * 31)
    owner = create_engine(TEST_DATABASE_URL)
    with owner.begin() as conn:
        for tenant in (a, b):
            for subject, at in (("recent", datetime.now(UTC)), ("old", old)):
                conn.execute(
                    text(
                        "INSERT INTO audit_log (tenant_id, event, subject, details, "
                        "created_at) VALUES (:t, 'auth.login', :s, '{}', :at)"
                    ),
                    {"t": tenant.id, "s": subject, "at": at},
                )
    owner.dispose()
    assert run("SELECT audit_log_expire()", a.id) == [1]
    assert run("SELECT subject FROM audit_log", a.id) == ["recent"]
    assert sorted(run("SELECT subject FROM audit_log", b.id)) == ["old", "recent"]


def test_pseudonymising_only_reaches_an_erased_person(logged, committed_make):
    a, _, _ = logged
    person = committed_make.user(a, "Ikke Slettet")
    with pytest.raises(DBAPIError, match="only an erased person"):
        run("SELECT audit_log_pseudonymise(:u, 's-a')", a.id, u=person.id)


def test_one_tenant_cannot_change_or_delete_another_tenants_row(committed_make):
    a, b = committed_make.tenant("rls-ten-a"), committed_make.tenant("rls-ten-b", settings={"k": 5})
    changed = run(
        'UPDATE tenants SET settings = \'{"k": 1, "retention_months": 6}\' WHERE id = :b',
        a.id,
        b=b.id,
    )
    assert changed == 0
    assert run("DELETE FROM tenants WHERE id = :b", a.id, b=b.id) == 0
    assert run("UPDATE tenants SET name = 'x' WHERE id = :b", None, b=b.id) == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        run("UPDATE tenants SET id = :b WHERE id = :a", a.id, a=a.id, b=b.id + 1000)
    # Everyone may read (a request finds its tenant by slug); each may change its own row.
    assert set(run("SELECT slug FROM tenants", a.id)) >= {"rls-ten-a", "rls-ten-b"}
    assert run("UPDATE tenants SET name = 'A' WHERE id = :a", a.id, a=a.id) == 1
    assert run("SELECT settings->>'k' FROM tenants WHERE id = :b", a.id, b=b.id) == ["5"]
