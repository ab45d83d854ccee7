"""A SCIM tenant's client and its tokens (the fixture is in tests/scim/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx2 as httpx

from web.extensions import db
from web.scim import tokens
from web.tenancy import tenant_scope
from web.tenants.models import Tenant


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
