"""Retention: the beat → one pseudonymisation task per tenant."""

from __future__ import annotations

from celery import shared_task

from web.audit import retention as audit_retention
from web.extensions import db
from web.gdpr import services
from web.tasking import fan_out, tenant_task
from web.tenants.models import Tenant


@shared_task(name="web.gdpr.tasks.pseudonymise_all_tenants")
def pseudonymise_all_tenants() -> int:
    """Fan out one task per tenant (tenants are not tenant-scoped)."""
    return fan_out(pseudonymise_tenant)


@shared_task(name="web.gdpr.tasks.pseudonymise_tenant")
@tenant_task
def pseudonymise_tenant(tenant_id: int) -> dict[str, int]:
    """Pseudonymise the tenant's cycles closed longer ago than its retention, and expire its
    audit entries older than the audit log's (web.audit.retention). Idempotent."""
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:  # offboarded meanwhile
        return {}
    counts = services.pseudonymise_closed_cycles(tenant)
    expired = audit_retention.expire_old_entries()
    return {**counts, "audit_entries_expired": expired} if expired else counts
