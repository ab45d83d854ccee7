"""A tenant with a SCIM token, served by the real app on loopback (werkzeug in a thread)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx2 as httpx
import pytest

from tests.auth.providers import serve
from web.extensions import db
from web.scim import tokens
from web.tenancy import tenant_scope
from web.tenants.models import Tenant
from web.users.models import TenantRoleName


@dataclass
class ScimTenant:
    tenant: Tenant
    base_url: str  # …/t/<slug>/scim/v2
    token: str

    def client(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            timeout=30,
            headers={
                "Authorization": f"Bearer {token or self.token}",
                "Content-Type": "application/scim+json",
            },
        )


def new_token(app, tenant: Tenant, admin_id: int, name: str = "Entra ID") -> str:
    with app.app_context(), tenant_scope(tenant.id):
        from web.users.models import User

        created = tokens.create(name, actor=db.session.get(User, admin_id))
        db.session.commit()
        return created.secret


@pytest.fixture
def scim(app, committed_make) -> Iterator[ScimTenant]:
    tenant = committed_make.tenant()
    admin = committed_make.user(tenant, "Ada Admin", roles=(TenantRoleName.ADMIN,))
    secret = new_token(app, tenant, admin.id)
    with serve(app) as url:
        yield ScimTenant(tenant, f"{url}/t/{tenant.slug}/scim/v2", secret)
