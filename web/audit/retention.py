"""How long the audit log keeps what, as one rule the database enforces too.

- **Retention:** an entry is kept for ``AUDIT_RETENTION_MONTHS`` (36) after it was written,
  then the tenant's retention run deletes it. Three years because the log answers who saw or
  changed personal data and who configured what: complaints, requests for insight and
  security incidents often surface long after the fact, and the log must outlive a typical
  follow-up cycle's data (the tenant's own retention, 36 months by default). The database
  refuses to expire anything younger (``audit_log_expire`` in migration 0008), whoever asks.
- **Erased people:** the audit entries keep *what happened* but not *who*: when a person is
  erased, their identity provider subject in every entry (as actor, or as the subject of a
  refused login) is replaced at once by their pseudonym (the erased row's ``erased-…``
  subject). The actor link stays, so a chain of events remains readable without naming them.

On PostgreSQL both changes go through ``SECURITY DEFINER`` functions owned by the retention
role (``web.rls.RETENTION_ROLE``): the application's own role may not update, delete or
truncate the log at all. On SQLite (development) plain statements do the same.
"""

from __future__ import annotations

from datetime import datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import delete, or_, text, update

from web.audit.models import AuditEntry
from web.extensions import db
from web.models import utcnow
from web.users.models import User

AUDIT_RETENTION_MONTHS = 36  # migration 0008 holds the same number


def cutoff(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - relativedelta(months=AUDIT_RETENTION_MONTHS)


def expire_old_entries(now: datetime | None = None) -> int:
    """Delete the current tenant's entries older than the retention period; the count.

    On PostgreSQL the database's clock and period decide (``now`` is for SQLite's tests)."""
    if _is_postgresql():
        return int(db.session.scalar(text("SELECT audit_log_expire()")) or 0)
    result = db.session.execute(
        delete(AuditEntry).where(AuditEntry.created_at < cutoff(now)),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)


def pseudonymise_subject(person: User, former_subject: str) -> int:
    """Replace an erased person's former subject by their pseudonym in the current tenant's
    entries (call after ``person.subject`` holds the pseudonym, flushed); the count."""
    if _is_postgresql():
        return int(
            db.session.scalar(
                text("SELECT audit_log_pseudonymise(:user, :former)"),
                {"user": person.id, "former": former_subject},
            )
            or 0
        )
    result = db.session.execute(
        update(AuditEntry)
        .where(or_(AuditEntry.actor_id == person.id, AuditEntry.subject == former_subject))
        .values(subject=person.subject),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"
