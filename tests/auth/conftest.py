"""Fixtures for the SSO tests: providers on loopback, tenants wired to them, a login driver
(the helpers they use are in tests/auth/flows.py)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from tests.auth.flows import Flow, SamlFlow, configure, configure_saml, rename_units
from tests.auth.providers import ForgeProvider, MockProvider, insecure_transport_allowed, serve
from web.demo.sso import demo_people
from web.tenants.models import Tenant

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


@pytest.fixture
def sso_tenant(make, mock_provider) -> Tenant:
    """A tenant with two teams, logging in through the mock provider."""
    tenant = make.tenant("solby", name="Solby Kommune")
    make.unit(tenant, "Team Sol")
    make.unit(tenant, "Team Måne")
    rename_units(make, tenant, {"Team Sol": "team-sol", "Team Måne": "team-maane"})
    configure(make, tenant, mock_provider.issuer)
    return tenant


@pytest.fixture
def flow(client, sso_tenant) -> Flow:
    return Flow(client, sso_tenant)


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
    rename_units(make, tenant, {"Team Sol": "team-sol", "Team Måne": "team-maane"})
    configure_saml(make, tenant, forge_idp.metadata())
    return tenant


@pytest.fixture
def saml_flow(client, saml_tenant) -> SamlFlow:
    return SamlFlow(client, saml_tenant)
