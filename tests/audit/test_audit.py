"""The audit log: ``record`` for every area, secrets never written, entries never changed."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from web.audit.models import AuditEntry, AuditLogIsAppendOnly
from web.audit.services import REDACTED, AuditFilter, record, search
from web.extensions import db
from web.tenancy import TenantScopeMissing, tenant_scope


def test_record_captures_actor_target_request_and_details(app, make):
    tenant = make.tenant("revision")
    actor = make.user(tenant, "Rita Revisor")
    with app.test_request_context(
        "/", headers={"X-Request-ID": "req-42"}, environ_base={"REMOTE_ADDR": "10.1.2.3"}
    ):
        app.preprocess_request()
        with tenant_scope(tenant.id):
            entry = record("cycle.started", actor=actor, target=actor, units=[3, 1], when=object())
            db.session.commit()
    assert (entry.event, entry.actor_id, entry.subject) == (
        "cycle.started",
        actor.id,
        actor.subject,
    )
    assert (entry.target_type, entry.target_id) == ("users", actor.id)
    assert (entry.ip, entry.request_id) == ("10.1.2.3", "req-42")
    assert entry.details["units"] == [3, 1]
    assert isinstance(entry.details["when"], str)
    assert entry.tenant_id == tenant.id


def test_secret_looking_details_are_redacted(app, make):
    tenant = make.tenant("hemmelig")
    with make.scope(tenant):
        entry = record(
            "sso.test",
            client_secret="x1",
            id_token="x2",
            password="x3",
            nested={"access_token": "x4", "ok": "visible"},
            reason="fine",
        )
    assert entry.details == {
        "client_secret": REDACTED,
        "id_token": REDACTED,
        "password": REDACTED,
        "nested": {"access_token": REDACTED, "ok": "visible"},
        "reason": "fine",
    }


def test_record_needs_a_tenant(app, db_session):
    with app.app_context():
        with pytest.raises(TenantScopeMissing):
            record("orphan.event")
        db.session.rollback()


def test_entries_cannot_be_changed_or_deleted_through_the_orm(app, make):
    tenant = make.tenant("uforanderlig")
    with make.scope(tenant):
        entry = record("auth.login", subject="s")
    with app.app_context(), tenant_scope(tenant.id):
        loaded = db.session.get(AuditEntry, entry.id)
        loaded.event = "auth.something_else"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEntry, entry.id))
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()


@pytest.mark.postgres("the app role's missing UPDATE privilege")
def test_postgresql_refuses_updates_too(app, make):
    tenant = make.tenant("trigger")
    with make.scope(tenant):
        entry = record("auth.login", subject="s")
    # Row-level security hides every row outside the tenant's scope, so update inside it.
    with app.app_context(), tenant_scope(tenant.id):
        # The app's role has no UPDATE privilege on the log at all (migration 0008).
        with pytest.raises(DBAPIError, match="permission denied"), db.session.begin_nested():
            db.session.execute(
                text("UPDATE audit_log SET event = 'x' WHERE id = :id"), {"id": entry.id}
            )
        db.session.rollback()


def test_deleting_a_user_keeps_their_entries(app, make):
    tenant = make.tenant("sletning")
    user = make.user(tenant, "Søren Slettet")
    with make.scope(tenant):
        entry = record("auth.login", actor=user)
    with app.app_context(), tenant_scope(tenant.id):
        db.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": user.id})
        db.session.commit()
        with tenant_scope(tenant.id):
            kept = db.session.scalar(select(AuditEntry).filter_by(id=entry.id))
            assert kept.actor_id is None and kept.subject == user.subject


def test_search_is_scoped_newest_first_and_pages(app, make):
    tenant, other = make.tenant("nyest"), make.tenant("aeldst")
    with make.scope(tenant):
        for i in range(5):
            record(f"test.e{i}")
    with make.scope(other):
        record("test.other")
    with app.app_context(), tenant_scope(tenant.id):
        first = search(AuditFilter(), 3)
        assert [e.event for e in first] == ["test.e4", "test.e3", "test.e2"]
        rest = search(AuditFilter(), 3, before_id=first[-1].id)
        assert [e.event for e in rest] == ["test.e1", "test.e0"]
        assert [e.event for e in search(AuditFilter(event="test.e1"), 10)] == ["test.e1"]
