"""A tenant with a SCIM token, served by the real app on loopback (werkzeug in a thread); its
client is in tests/scim/client.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.providers import serve
from tests.scim.client import ScimTenant, new_token
from web.users.models import TenantRoleName


@pytest.fixture
def scim(app, committed_make) -> Iterator[ScimTenant]:
    tenant = committed_make.tenant()
    admin = committed_make.user(tenant, "Ada Admin", roles=(TenantRoleName.ADMIN,))
    secret = new_token(app, tenant, admin.id)
    with serve(app) as url:
        yield ScimTenant(tenant, f"{url}/t/{tenant.slug}/scim/v2", secret)
