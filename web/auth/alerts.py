"""What threatens a tenant's sign-in, told to its admins: a banner on their pages.

- ``LOGIN_FAILURES``: sign-ins refused for a reason of the configuration (not of the
  person); raised from ``RAISE_AFTER`` of them within ``WINDOW``.
- ``REFRESH_KEPT``: a scheduled refresh of the provider's metadata failed or would have
  removed the key that signs, so the last good copy is kept (raised at once).

An alert clears when a version is applied or rolled back, and a login failure alert also
after a sign-in that succeeded. The moment an alert is raised, the tenant's admins get one
e-mail about it through the outbox (``web.auth.emails``); it is not sent again until the
alert cleared (or went quiet for ``WINDOW``) and was raised anew.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from web.auth.models import SsoAlert
from web.extensions import db

LOGIN_FAILURES = "login_failures"
REFRESH_KEPT = "refresh_kept"
RAISE_AFTER = 3
WINDOW = timedelta(hours=1)


def note(kind: str, reason: str, detail: str = "") -> SsoAlert:
    """One more occurrence of ``kind`` (flushes)."""
    now = datetime.now(UTC)
    alert = db.session.scalar(select(SsoAlert).filter_by(kind=kind).with_for_update())
    if alert is None:
        alert = SsoAlert(
            kind=kind, reason=reason[:100], detail=detail[:300], count=1, first_at=now, last_at=now
        )
        try:
            with db.session.begin_nested():
                db.session.add(alert)
        except IntegrityError:  # another request made it at the same moment
            alert = db.session.scalar(select(SsoAlert).filter_by(kind=kind).with_for_update())
        else:
            _tell_admins(alert)
            return alert
    if alert.cleared_at is not None or alert.last_at < now - WINDOW:
        alert.count, alert.first_at, alert.cleared_at, alert.notified_at = 0, now, None, None
    alert.count += 1
    alert.last_at = now
    alert.reason, alert.detail = reason[:100], detail[:300]
    db.session.flush()
    _tell_admins(alert)
    return alert


def _tell_admins(alert: SsoAlert) -> None:
    from web.auth import emails

    if alert.notified_at is None and is_raised(alert):
        emails.notify(alert)


def is_raised(alert: SsoAlert) -> bool:
    if alert.cleared_at is not None:
        return False
    if alert.kind == LOGIN_FAILURES:
        return alert.count >= RAISE_AFTER and alert.last_at >= datetime.now(UTC) - WINDOW
    return True


def raised() -> list[SsoAlert]:
    """The tenant's alerts its admins should see now."""
    alerts = db.session.scalars(
        select(SsoAlert).where(SsoAlert.cleared_at.is_(None)).order_by(SsoAlert.id)
    )
    return [alert for alert in alerts if is_raised(alert)]


def clear(kind: str) -> None:
    alert = db.session.scalar(
        select(SsoAlert).filter_by(kind=kind).where(SsoAlert.cleared_at.is_(None))
    )
    if alert is not None:
        alert.cleared_at = datetime.now(UTC)
