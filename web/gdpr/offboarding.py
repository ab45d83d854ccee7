"""Offboarding a municipality: every row of the tenant, its SSO settings (and so the encrypted
client secret) included, then the tenant itself.

Every tenant-owned table has ``tenant_id … REFERENCES tenants ON DELETE CASCADE``, so deleting
the tenant alone would do; we delete table by table instead (children first, in the metadata's
dependency order) to show progress and count what went. The deletes run inside the tenant's
scope, so row-level security admits exactly this tenant's rows to the non-owner app role.
The audit log is the exception: the app role may not delete from it (migration 0008), so its
entries go with the tenant row itself, through the foreign key's cascade, which PostgreSQL
runs as the table's owner.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Table, delete

from web import cache
from web.dashboards.tasks import overview_prefix
from web.extensions import db
from web.tenancy import forget_tenant_copies, tenant_scope
from web.tenants.models import Tenant


def tenant_tables() -> list[Table]:
    """Tables with a tenant_id, children before parents."""
    return [
        t
        for t in reversed(db.metadata.sorted_tables)
        if "tenant_id" in t.c and t.name != "audit_log"
    ]


def offboard(tenant: Tenant, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Delete everything of ``tenant``. Flushes; the caller commits."""
    counts: dict[str, int] = {}
    with tenant_scope(tenant.id):
        for table in tenant_tables():
            result = db.session.execute(delete(table).where(table.c.tenant_id == tenant.id))
            counts[table.name] = int(result.rowcount or 0)
            if progress:
                progress(table.name)
        db.session.execute(
            delete(Tenant).where(Tenant.id == tenant.id),
            execution_options={"synchronize_session": False},
        )
    db.session.expunge_all()
    # Cached figures (the HR overview) go too, and this process forgets the tenant at once.
    cache.forget_prefix(overview_prefix(tenant.id))
    forget_tenant_copies()
    return counts
