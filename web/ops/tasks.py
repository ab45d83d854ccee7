"""Operational tasks: a heartbeat the beat schedule sends, and a probe the tests use."""

from __future__ import annotations

import logging

from celery import shared_task

from web.extensions import db
from web.tasking import tenant_task
from web.tenants.models import Tenant
from web.users.models import User

log = logging.getLogger(__name__)


@shared_task(name="web.ops.tasks.heartbeat")
def heartbeat() -> int:
    """Count tenants; proves beat → broker → worker → database is alive."""
    count = db.session.scalar(db.select(db.func.count(Tenant.id)))
    log.info("heartbeat: %s tenants", count)
    return count


@shared_task(name="web.ops.tasks.count_users")
@tenant_task
def count_users(tenant_id: int) -> dict:
    """Count the active users of one tenant (scoped like every task)."""
    total = db.session.scalar(db.select(db.func.count(User.id)).where(User.is_active.is_(True)))
    tenant = db.session.get(Tenant, tenant_id)
    return {"tenant": tenant.slug, "users": total}
