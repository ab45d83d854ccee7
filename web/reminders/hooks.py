"""Plan a tenant's reminders right after a commit that changed a cycle's dates or an action.

Decoupled from the cycle services: a SQLAlchemy ``after_flush`` listener notices new cycles and
actions and changes to the attributes reminders depend on, and queues one planning task per
tenant for after the commit (never on rollback). The beat would find the change within minutes
anyway; this makes a moved meeting announce itself at once. ``create_app`` registers the
listeners (``register``), once per process.
"""

from __future__ import annotations

import logging

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from web.cycles.models import Action, Cycle

CYCLE_ATTRIBUTES = ("meeting_at", "meeting_place", "preparation_starts_on",
                    "preparation_ends_on", "follow_up_on", "phase", "unit_id",
                    "include_subunits")
ACTION_ATTRIBUTES = ("due_on", "owner_id", "status")
_PENDING = "reminders.plan_after_commit"
PLAN_TASK = "web.reminders.tasks.plan_tenant"
log = logging.getLogger(__name__)


def _changed(obj: object, attributes: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def _tenants_to_plan(session: Session) -> set[int]:
    tenants: set[int] = set()
    for obj in session.new:
        if isinstance(obj, (Cycle, Action)) and obj.tenant_id is not None:
            tenants.add(obj.tenant_id)
    for obj in session.dirty:
        if (isinstance(obj, Cycle) and _changed(obj, CYCLE_ATTRIBUTES)) \
                or (isinstance(obj, Action) and _changed(obj, ACTION_ATTRIBUTES)):
            tenants.add(obj.tenant_id)
    return tenants


def register() -> None:
    """Listen on every session of the process (idempotent: a process may build several apps)."""
    for name, listener in (("after_flush", _remember), ("after_commit", _plan),
                           ("after_rollback", _forget)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _remember(session: Session, _flush_context) -> None:
    tenants = _tenants_to_plan(session)
    if tenants:
        session.info.setdefault(_PENDING, set()).update(tenants)


def _plan(session: Session) -> None:
    tenants = session.info.pop(_PENDING, None)
    if not tenants:
        return
    if not has_app_context():
        return
    # The Celery app of this Flask app (a process may hold several, e.g. the test suite).
    celery = current_app.extensions["celery"]
    for tenant_id in sorted(tenants):
        try:
            celery.send_task(PLAN_TASK, args=(tenant_id,))
        except Exception:  # the broker is away: the commit stands, the beat plans later
            log.warning("could not queue reminder planning for tenant %s", tenant_id,
                        exc_info=True)


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
