"""Plan a tenant's reminders right after a commit that changed a cycle's dates or an action.

Decoupled from the cycle services: a SQLAlchemy ``after_flush`` listener notices new cycles and
actions and changes to the attributes reminders depend on, and queues one planning task per
tenant and transaction through ``enqueue_after_commit`` (sent after the commit, never on
rollback). The beat would find the change within minutes anyway; this makes a moved meeting
announce itself at once. ``create_app`` registers the listeners (``register``), once per
process.
"""

from __future__ import annotations

from flask import has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from web.cycles.models import Action, Cycle
from web.extensions import db
from web.tasking import enqueue_after_commit

CYCLE_ATTRIBUTES = (
    "meeting_at",
    "meeting_place",
    "preparation_starts_on",
    "preparation_ends_on",
    "follow_up_on",
    "phase",
    "unit_id",
    "include_subunits",
)
ACTION_ATTRIBUTES = ("due_on", "owner_id", "status")
_QUEUED = "reminders.planning_queued"


def _changed(obj: object, attributes: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def _tenants_to_plan(session: Session) -> set[int]:
    tenants: set[int] = set()
    for obj in session.new:
        if isinstance(obj, (Cycle, Action)) and obj.tenant_id is not None:
            tenants.add(obj.tenant_id)
    for obj in session.dirty:
        if (isinstance(obj, Cycle) and _changed(obj, CYCLE_ATTRIBUTES)) or (
            isinstance(obj, Action) and _changed(obj, ACTION_ATTRIBUTES)
        ):
            tenants.add(obj.tenant_id)
    return tenants


def register() -> None:
    """Listen on every session of the process (idempotent: a process may build several apps)."""
    for name, listener in (
        ("after_flush", _queue),
        ("after_commit", _forget),
        ("after_rollback", _forget),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _queue(session: Session, _flush_context) -> None:
    if not has_app_context() or session is not db.session():
        return  # enqueue_after_commit follows the app's session
    tenants = _tenants_to_plan(session)
    queued = session.info.setdefault(_QUEUED, set())
    if not tenants - queued:
        return
    from web.reminders.tasks import plan_tenant

    for tenant_id in sorted(tenants - queued):
        enqueue_after_commit(plan_tenant, tenant_id)
    queued.update(tenants)


def _forget(session: Session) -> None:
    session.info.pop(_QUEUED, None)
