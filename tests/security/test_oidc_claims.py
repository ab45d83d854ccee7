"""A claim from the identity provider with a NUL byte or a control character (the callback's
input that no form or guard sees) is refused with a translated page, never a 500, and nothing
of the login is stored. (Cleaning such claims at provisioning, where possible, is the input
edge's; here the point is that the failure path is a refusal.)"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.auth import conftest as auth
from tests.auth.flows import Flow
from web.extensions import db
from web.tenancy import tenant_scope
from web.users.models import User

# The auth tests' provider and tenant (fixtures of tests/auth/conftest.py).
mock_provider = auth.mock_provider
sso_tenant = auth.sso_tenant
_provider_deprecations = auth._provider_deprecations


@pytest.fixture
def flow(app, client, sso_tenant) -> Flow:
    # Ids restart when another module's committed data is truncated (the walks in this folder):
    # a client cached for the same tenant id and settings version would be that tenant's.
    app.extensions["aktor_sso_clients"].forget(sso_tenant.id)
    return Flow(client, sso_tenant)


def users(app, tenant) -> int:
    with app.app_context(), tenant_scope(tenant.id):
        return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize("locale", ["da", "en"])
@pytest.mark.parametrize("claim", ["name", "email", "unit"])
def test_a_nul_byte_in_a_claim_is_cleaned_or_refused_never_stored(
    app, flow, mock_provider, claim, locale
):
    """The input edge puts a name on one line and refuses an e-mail it cannot clean; either
    way nothing that holds a forbidden character is stored, and there is no 5xx."""
    from web.textrules import forbidden_character

    claims = {"name": "Nina Nul", "email": "nina@solby.dk", "unit": "team-sol"}
    claims[claim] = (
        claims[claim].replace("@", "\x00@") if claim == "email" else claims[claim] + "\x00"
    )
    mock_provider.set_user(f"nina.{claim}", **claims)
    before = users(app, flow.tenant)
    reply = flow.login(mock_provider, f"nina.{claim}", **{"Accept-Language": locale})
    body = reply.get_data(as_text=True)
    assert reply.status_code < 500, body[:1000]
    assert reply.headers["X-Request-ID"] and reply.headers["Content-Security-Policy"]
    if reply.status_code >= 400:
        assert flow.signed_in_user_id() is None
        assert users(app, flow.tenant) == before
        assert f'<html lang="{locale}"' in body
        return
    with app.app_context(), tenant_scope(flow.tenant.id):
        stored = db.session.scalars(select(User)).all()
        assert not any(
            forbidden_character(f"{u.display_name}{u.email or ''}{u.subject}") for u in stored
        )
