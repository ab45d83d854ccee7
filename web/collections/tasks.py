"""Compiling the collection: a beat task fans out one task per tenant."""

from __future__ import annotations

import logging

from celery import shared_task

from web.collections import compilation
from web.tasking import fan_out, tenant_task

log = logging.getLogger(__name__)


@shared_task(name="web.collections.tasks.compile_all_collections")
def compile_all_collections() -> int:
    """Queue one compilation per tenant (so one tenant's failure or size delays no other)."""
    return fan_out(compile_collection)


@shared_task(name="web.collections.tasks.compile_collection")
@tenant_task
def compile_collection(tenant_id: int) -> dict[str, int]:
    result = compilation.compile_collection()
    log.info("collection compiled: %s", result.as_dict())
    return result.as_dict()
