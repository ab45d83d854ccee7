"""Embedding on approval or edit, and the periodic backfill (one task per tenant)."""

from __future__ import annotations

from celery import shared_task

from web.tasking import fan_out, tenant_task
from web.themes import embeddings


@shared_task(name="web.themes.tasks.embed_entry")
@tenant_task
def embed_entry(tenant_id: int, entry_id: int) -> bool:
    return embeddings.embed_entry(entry_id)


@shared_task(name="web.themes.tasks.backfill_all")
def backfill_all() -> int:
    return fan_out(backfill)


@shared_task(name="web.themes.tasks.backfill")
@tenant_task
def backfill(tenant_id: int) -> int:
    return embeddings.backfill()
