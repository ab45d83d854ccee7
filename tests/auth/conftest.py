"""Fixtures for the SSO tests: providers on loopback, tenants wired to them, a login driver."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.auth.providers import (
    ForgeProvider,
    MockProvider,
    insecure_transport_allowed,
    query,
    serve,
)
from web.audit.models import AuditEntry
from web.auth.models import UnitClaimKind
from web.auth.services import SettingsInput, update_settings
from web.demo.sso import demo_people
from web.extensions import db
from web.tenancy import tenant_scope
from web.tenants.models import Tenant

CLIENT_ID = "aktorskab-test"
CLIENT_SECRET = "test-client-secret"
ROLE_VALUES = {
    "leader": ["grp-leder"],
    "hr": ["grp-hr"],
    "hovedudvalg": ["grp-hu"],
    "admin": ["grp-admin"],
}


# oidc-provider-mock 0.3.4 (the provider, not our client) still calls Authlib APIs that Authlib
# has deprecated; it warns in the provider's threads, where filterwarnings=error would turn its
# token endpoint into a 500.
PROVIDER_DEPRECATIONS = (r"get_jwt_config\(self, grant\) is deprecated",)


@pytest.fixture(autouse=True)
def _provider_deprecations() -> None:
    for message in PROVIDER_DEPRECATIONS:
        warnings.filterwarnings("ignore", message=message, category=DeprecationWarning)


def _mock_app():
    with warnings.catch_warnings():
        # Its imports warn (Authlib's deprecations; and pygal's import hook, once another
        # area has imported pygal, makes httpx's optional imports raise ImportWarning).
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", ImportWarning)
        import oidc_provider_mock

    users = [
        oidc_provider_mock.User(sub=p["sub"], claims={k: v for k, v in p.items() if k != "sub"})
        for p in demo_people()
    ]
    return oidc_provider_mock.app(require_nonce=True, user_claims=users)


@pytest.fixture(scope="session")
def mock_provider() -> Iterator[MockProvider]:
    with insecure_transport_allowed(), serve(_mock_app()) as url:
        yield MockProvider(url)


@pytest.fixture(scope="session")
def other_mock_provider() -> Iterator[MockProvider]:
    """A second municipality's provider."""
    with insecure_transport_allowed(), serve(_mock_app()) as url:
        yield MockProvider(url)


@pytest.fixture
def forge() -> Iterator[ForgeProvider]:
    provider = ForgeProvider()
    with serve(provider.app()) as url:
        provider.issuer = url
        yield provider


def settings_input(issuer: str, **overrides: Any) -> SettingsInput:
    values = {
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": "openid profile email",
        "unit_claim": "unit",
        "unit_claim_kind": UnitClaimKind.EXTERNAL_ID,
        "roles_claim": "groups",
        "role_values": ROLE_VALUES,
        **overrides,
    }
    return SettingsInput(**values)


def configure(make, tenant: Tenant, issuer: str, **overrides: Any) -> None:
    with make.scope(tenant):
        update_settings(settings_input(issuer, **overrides), check_provider=False)


@pytest.fixture
def sso_tenant(make, mock_provider) -> Tenant:
    """A tenant with two teams, logging in through the mock provider."""
    tenant = make.tenant("solby", name="Solby Kommune")
    make.unit(tenant, "Team Sol")
    make.unit(tenant, "Team Måne")
    _rename_units(make, tenant, {"Team Sol": "team-sol", "Team Måne": "team-maane"})
    configure(make, tenant, mock_provider.issuer)
    return tenant


def _rename_units(make, tenant: Tenant, external_ids: dict[str, str]) -> None:
    from web.orgs.models import OrgUnit

    with make.scope(tenant):
        for unit in db.session.scalars(select(OrgUnit)):
            unit.external_id = external_ids.get(unit.name, unit.external_id)


@dataclass
class Flow:
    """Drives the login of one browser (the Flask test client) through a provider."""

    client: FlaskClient
    tenant: Tenant

    def start(self, next_url: str | None = None) -> str:
        reply = self.client.get(
            f"/t/{self.tenant.slug}/auth/login",
            query_string={"next": next_url} if next_url else None,
        )
        assert reply.status_code == 302, reply.get_data(as_text=True)[:500]
        return reply.headers["Location"]

    def callback(self, callback_url: str, **headers: str):
        return self.client.get(callback_url, headers=headers)

    def login(self, provider: MockProvider, sub: str, **headers: str):
        return self.callback(provider.authorize(self.start(), sub), **headers)

    def session(self) -> dict[str, Any]:
        with self.client.session_transaction() as session:
            return dict(session)

    def signed_in_user_id(self) -> int | None:
        return self.session().get("user_id")


@pytest.fixture
def flow(client, sso_tenant) -> Flow:
    return Flow(client, sso_tenant)


SP_ENTITY_ID = "http://localhost/t/{slug}/auth/saml/metadata"
SAML_ROLE_VALUES = {
    "leader": ["urn:role:leder"],
    "hr": ["urn:role:hr"],
    "hovedudvalg": ["urn:role:hu"],
    "admin": ["urn:role:admin"],
}
NAME = "https://data.gov.dk/model/core/eid/fullName"
EMAIL = "https://data.gov.dk/model/core/eid/email"
UNIT = "urn:test:unit"
ROLES = "urn:test:roles"


def configure_saml(make, tenant: Tenant, metadata: str | None = None, **overrides: Any):
    from web.auth.saml import keys
    from web.auth.saml.services import SamlInput, update_saml_settings

    values = {
        "metadata_xml": metadata,
        "name_attribute": NAME,
        "email_attribute": EMAIL,
        "unit_attribute": UNIT,
        "roles_attribute": ROLES,
        "role_values": SAML_ROLE_VALUES,
        **overrides,
    }
    with make.scope(tenant):
        update_saml_settings(SamlInput(**values))
        if not keys.published():
            keys.create(f"test {tenant.slug}")


@pytest.fixture
def forge_idp():
    from tests.auth.saml_forge import ForgeIdP

    return ForgeIdP()


@pytest.fixture
def saml_tenant(make, forge_idp) -> Tenant:
    """A tenant with two teams, logging in through SAML (the forge IdP's metadata)."""
    tenant = make.tenant("saml-by", name="Samlby Kommune")
    make.unit(tenant, "Team Sol")
    make.unit(tenant, "Team Måne")
    _rename_units(make, tenant, {"Team Sol": "team-sol", "Team Måne": "team-maane"})
    configure_saml(make, tenant, forge_idp.metadata())
    return tenant


@dataclass
class SamlFlow:
    """Drives one browser (the Flask test client) through a SAML login."""

    client: FlaskClient
    tenant: Tenant

    @property
    def sp_entity_id(self) -> str:
        return SP_ENTITY_ID.format(slug=self.tenant.slug)

    def start(self, next_url: str | None = None):
        from tests.auth.saml_forge import read_request

        reply = self.client.get(
            f"/t/{self.tenant.slug}/auth/login",
            query_string={"next": next_url} if next_url else None,
        )
        assert reply.status_code == 302, reply.get_data(as_text=True)[:500]
        return read_request(reply.headers["Location"])

    def post(self, document: bytes | str, client: FlaskClient | None = None):
        from tests.auth.saml_forge import post_value

        value = document if isinstance(document, str) else post_value(document)
        return (client or self.client).post(
            f"/t/{self.tenant.slug}/auth/saml/acs", data={"SAMLResponse": value}
        )

    def complete(self, document: bytes | str, client: FlaskClient | None = None):
        """POST to the ACS and follow the hand-off; the final reply."""
        reply = self.post(document, client)
        if reply.status_code != 303:
            return reply
        return (client or self.client).get(reply.headers["Location"])

    def signed_in_user_id(self) -> int | None:
        with self.client.session_transaction() as session:
            return dict(session).get("user_id")


@pytest.fixture
def saml_flow(client, saml_tenant) -> SamlFlow:
    return SamlFlow(client, saml_tenant)


def audit_entries(app, tenant: Tenant, event: str | None = None) -> list[AuditEntry]:
    with app.app_context(), tenant_scope(tenant.id):
        query_ = select(AuditEntry).order_by(AuditEntry.id)
        if event:
            query_ = query_.where(AuditEntry.event == event)
        return list(db.session.scalars(query_))


def refusals(app, tenant: Tenant) -> list[str]:
    return [e.details["reason"] for e in audit_entries(app, tenant, "auth.login_refused")]


__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "Flow",
    "audit_entries",
    "configure",
    "query",
    "refusals",
    "settings_input",
]


def pending_id(app, tenant: Tenant) -> int | None:
    """The tenant's pending SSO version (the admin page's last save), if any."""
    from web.auth import versions

    with app.app_context(), tenant_scope(tenant.id):
        version = versions.pending()
        return version.id if version is not None else None


def start_test(browser: FlaskClient, tenant: Tenant, version_id: int):
    """The admin's "test sign-in" button: the reply (a redirect to the provider, or a page)."""
    return browser.post(f"/t/{tenant.slug}/admin/sso/versions/{version_id}/test")


def apply_version(browser: FlaskClient, tenant: Tenant, version_id: int):
    return browser.post(f"/t/{tenant.slug}/admin/sso/versions/{version_id}/apply")
