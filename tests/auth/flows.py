"""The SSO tests' helpers: a tenant's OpenID Connect or SAML settings, the drivers of a login
through the test client (``Flow``, ``SamlFlow``), the audit entries a login leaves and the admin's
buttons of an SSO version. The fixtures that use them are in tests/auth/conftest.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.auth.providers import MockProvider
from web.audit.models import AuditEntry
from web.auth.models import UnitClaimKind
from web.auth.services import SettingsInput, update_settings
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


def rename_units(make, tenant: Tenant, external_ids: dict[str, str]) -> None:
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


def audit_entries(app, tenant: Tenant, event: str | None = None) -> list[AuditEntry]:
    with app.app_context(), tenant_scope(tenant.id):
        query_ = select(AuditEntry).order_by(AuditEntry.id)
        if event:
            query_ = query_.where(AuditEntry.event == event)
        return list(db.session.scalars(query_))


def refusals(app, tenant: Tenant) -> list[str]:
    return [e.details["reason"] for e in audit_entries(app, tenant, "auth.login_refused")]


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
