"""What a web process keeps per tenant stays bounded however many tenants the deployment serves
(issue 20): the tenant copies (``web.tenancy.TENANT_COPIES``) and the OpenID clients
(``web.auth.oidc.SSO_CLIENTS``) drop the least recently used beyond their bound, like the
themes' matrices and query vectors and the redaction automata, which were bounded already.
Each test lowers the bound and warms more tenants than it."""

from __future__ import annotations

import pytest

from web import tenancy
from web.auth import oidc
from web.auth.models import SsoSettings
from web.collections import directory
from web.themes import search


@pytest.fixture
def copies(app):
    app.config["TENANT_CACHE_SECONDS"] = 5
    tenancy._tenant_copies.clear()
    yield
    app.config["TENANT_CACHE_SECONDS"] = 0  # off again, as in every test
    tenancy._tenant_copies.clear()


def test_tenant_copies_keep_the_most_recently_used(make, client, copies, monkeypatch):
    monkeypatch.setattr(tenancy, "TENANT_COPIES", 3)
    slugs = [make.tenant(f"bound-{i}").slug for i in range(5)]
    for slug in slugs:
        assert client.get(f"/t/{slug}/").status_code < 500
    assert list(tenancy._tenant_copies) == slugs[2:]
    client.get(f"/t/{slugs[2]}/")  # a copy used again is kept longest
    client.get(f"/t/{slugs[0]}/")  # a dropped one is read again and copied
    assert list(tenancy._tenant_copies) == [slugs[4], slugs[2], slugs[0]]


def test_openid_clients_keep_the_most_recently_used(app, monkeypatch):
    monkeypatch.setattr(oidc, "SSO_CLIENTS", 2)
    registry = oidc.ClientRegistry(app)
    settings = [
        SsoSettings(
            tenant_id=1_000 + i,
            issuer=f"https://idp{i}.example.org",
            client_id="aktorskab",
            scopes="openid",
            version=1,
        )
        for i in range(4)
    ]
    with app.app_context():
        clients = [registry.client_for(s) for s in settings]
        assert len(registry) == 2
        assert set(registry.oauth._clients) | set(registry.oauth._registry) == {
            "tenant_1002",
            "tenant_1003",
        }
        assert registry.client_for(settings[3]) is clients[3]  # kept: the same client
        assert registry.client_for(settings[0]) is not clients[0]  # dropped: built again
        assert set(registry.oauth._registry) == {"tenant_1003", "tenant_1000"}


def test_the_other_per_tenant_caches_have_bounds():
    assert search.MATRIX_TENANTS and search.QUERIES and directory.CACHED_TENANTS
    assert tenancy.TENANT_COPIES >= 98 and oidc.SSO_CLIENTS >= 98  # the whole country fits
