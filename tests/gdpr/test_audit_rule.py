"""The audit log's rule (web/audit/retention.py): entries are kept 36 months, then expired by
the retention run; an erased person's identity provider subject leaves every entry at once,
replaced by their pseudonym, while the entries themselves stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, select, text

from tests.services import TEST_DATABASE_URL
from web.audit.models import AuditEntry
from web.audit.services import record
from web.extensions import db
from web.gdpr.tasks import pseudonymise_tenant
from web.users.models import User


def test_erasure_takes_the_subject_out_of_the_audit_log(team, make, login):
    former = team.anna.subject
    with make.scope(team.tenant):
        anna = db.session.get(User, team.anna.id)
        record("auth.login", actor=anna, target=anna)
        record("auth.login_refused", subject=former, reason="claims_missing")  # no actor
        record("auth.login", actor=db.session.get(User, team.bo.id))
    with make.scope(team.tenant):
        before = db.session.scalar(select(db.func.count(AuditEntry.id)))
    client = login(team.admin)
    done = client.post(f"/t/solby/admin/people/{team.anna.id}/erase", data={"confirm": "yes"})
    assert done.status_code == 302
    with make.scope(team.tenant):
        anna = db.session.get(User, team.anna.id)
        entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        assert len(entries) == before + 1  # nothing deleted; the erasure itself recorded
        assert former not in {e.subject for e in entries}
        hers = [e for e in entries if e.actor_id == anna.id or e.event == "auth.login_refused"]
        assert len(hers) == 2 and {e.subject for e in hers} == {anna.subject}
        assert team.bo.subject in {e.subject for e in entries}  # others keep theirs
        erased = next(e for e in entries if e.event == "gdpr.person_erased")
        assert erased.details["audit_entries_pseudonymised"] == 2
        assert erased.subject == team.admin.subject


def test_the_retention_run_expires_entries_older_than_36_months(committed_make, app):
    tenant = committed_make.tenant("arkivby")
    owner = create_engine(TEST_DATABASE_URL)
    with owner.begin() as conn:
        for subject, days in (("new", 1), ("almost", 35 * 30), ("old", 37 * 31)):
            conn.execute(
                text(
                    "INSERT INTO audit_log (tenant_id, event, subject, details, "
                    "created_at) VALUES (:t, 'auth.login', :s, '{}', :at)"
                ),
                {"t": tenant.id, "s": subject, "at": datetime.now(UTC) - timedelta(days=days)},
            )
    owner.dispose()
    with app.app_context():
        result = pseudonymise_tenant(tenant.id)
    assert result["audit_entries_expired"] == 1
    with committed_make.scope(tenant):
        subjects = set(db.session.scalars(select(AuditEntry.subject)))
    assert {"new", "almost"} <= subjects and "old" not in subjects
