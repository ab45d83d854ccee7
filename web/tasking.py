"""Helpers for tasks: the tenant travels with every task, a per-tenant job fans out from one
beat task, and tasks are sent after commit."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select

from web.extensions import db
from web.tenancy import tenant_scope
from web.tenants.models import Tenant

log = logging.getLogger(__name__)


def tenant_task(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a task body so it runs inside ``tenant_scope(tenant_id)`` and commits once."""

    @functools.wraps(fn)
    def wrapper(tenant_id: int, *args: Any, **kwargs: Any) -> Any:
        with tenant_scope(tenant_id):
            try:
                result = fn(tenant_id, *args, **kwargs)
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise

    return wrapper


def fan_out(task: Any) -> int:
    """The beat's entry for a per-tenant job: one ``task(tenant_id)`` per tenant (tenants are
    not tenant-scoped), so one tenant's failure or size delays no other. Returns the count."""
    tenant_ids = db.session.scalars(select(Tenant.id).order_by(Tenant.id)).all()
    for tenant_id in tenant_ids:
        task.delay(tenant_id)
    return len(tenant_ids)


def enqueue_after_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Send ``task`` once the current transaction commits; never if it rolls back.

    A broker that is away does not undo the commit, nor turn it into an error: the lost send is
    logged (the beat's sweep of that job, where it has one, finds the work later).
    """
    session = db.session()

    @event.listens_for(session, "after_commit", once=True)
    def _send(_session) -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception:  # the broker or the result store is away
            log.exception("could not queue %s%r after the commit", task.name, args)

    @event.listens_for(session, "after_rollback", once=True)
    def _forget(_session) -> None:
        if event.contains(session, "after_commit", _send):
            event.remove(session, "after_commit", _send)
