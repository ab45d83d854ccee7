"""The tenant's admins told by e-mail when an SSO alert is raised (``web.auth.alerts``).

Through the one outbox (``web.reminders``): a row per admin under the unique key
(admin, kind, alert id, the alert's first occurrence), so a raised alert is mailed exactly
once, however often it recurs, and again only after it cleared and was raised anew. The
e-mail goes out in the admin's language; a row whose alert cleared before delivery is
cancelled (``web.reminders.batch.irrelevance``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from web.auth.models import SsoAlert
from web.extensions import db
from web.reminders.models import OutboxStatus, ReminderKind, ReminderOutbox
from web.reminders.services import OUTBOX_KEY
from web.tasking import enqueue_after_commit
from web.users.models import TenantRole, TenantRoleName, User

KINDS = {
    "refresh_kept": ReminderKind.SSO_REFRESH_KEPT,
    "login_failures": ReminderKind.SSO_LOGIN_FAILURES,
}


def due_key(alert: SsoAlert) -> str:
    """One alert episode: it starts anew (``first_at``) after it cleared or went quiet."""
    first = alert.first_at if alert.first_at.tzinfo else alert.first_at.replace(tzinfo=UTC)
    return first.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")


def admins() -> list[int]:
    return list(
        db.session.scalars(
            select(User.id)
            .join(TenantRole, TenantRole.user_id == User.id)
            .where(
                TenantRole.role == TenantRoleName.ADMIN,
                User.is_active.is_(True),
                User.email.is_not(None),
                User.email != "",
            )
            .distinct()
            .order_by(User.id)
        )
    )


def notify(alert: SsoAlert) -> int:
    """Queue the alert's e-mail to every admin, once (flushes); the number of rows queued.
    Delivery is sent for after the commit."""
    from web.reminders.tasks import deliver_reminders

    now = datetime.now(UTC)
    alert.notified_at = now
    recipients = admins()
    if recipients:
        rows = [
            {
                "tenant_id": alert.tenant_id,
                "kind": KINDS[alert.kind].value,
                "recipient_id": user_id,
                "target_id": alert.id,
                "due_key": due_key(alert),
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for user_id in recipients
        ]
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        db.session.execute(
            insert(ReminderOutbox.__table__)
            .values(rows)
            .on_conflict_do_nothing(index_elements=OUTBOX_KEY)
        )
        enqueue_after_commit(deliver_reminders, alert.tenant_id)
    db.session.flush()
    return len(recipients)
