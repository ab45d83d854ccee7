"""Embedding on approval or edit, and the periodic backfill (one task per tenant)."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy import select

from web.extensions import db
from web.tasking import tenant_task
from web.tenants.models import Tenant
from web.themes import embeddings


@shared_task(name="web.themes.tasks.embed_entry")
@tenant_task
def embed_entry(tenant_id: int, entry_id: int) -> bool:
    return embeddings.embed_entry(entry_id)


@shared_task(name="web.themes.tasks.backfill_all")
def backfill_all() -> int:
    tenant_ids = list(db.session.scalars(select(Tenant.id).order_by(Tenant.id)))
    for tenant_id in tenant_ids:
        backfill.delay(tenant_id)
    return len(tenant_ids)


@shared_task(name="web.themes.tasks.backfill")
@tenant_task
def backfill(tenant_id: int) -> int:
    return embeddings.backfill()
