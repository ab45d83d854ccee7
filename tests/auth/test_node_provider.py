"""Interoperability with the OpenID-certified Node provider ``oidc-provider`` (v9), started as a
process: discovery (through the admin page), login with PKCE and the RFC 9207 ``iss``, claims
from the id_token and userinfo, and RP-initiated logout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import select

from tests.auth.flows import Flow, apply_version, audit_entries, pending_id, refusals, start_test
from tests.auth.providers import follow_until, node_provider, query
from web.extensions import db
from web.orgs.models import Membership, MembershipRole, OrgUnit
from web.tenancy import tenant_scope
from web.users.models import TenantRoleName, User

CLIENT = "aktorskab-interop"
SECRET = "interop-secret-interop-secret"
CALLBACK = "http://localhost/t/interop/auth/callback"
LOGGED_OUT = "http://localhost/t/interop/auth/logged-out"
ACCOUNTS = {
    "olivia.interop": {
        "name": "Olivia Interop",
        "email": "olivia@interop.dk",
        "email_verified": True,
        "locale": "en",
        "unit": "team-interop",
        "groups": ["grp-leder", "grp-hr"],
    },
}


@pytest.fixture(scope="module")
def node_issuer(tmp_path_factory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("node") / "oidc-provider.log"
    with node_provider(
        log,
        client_id=CLIENT,
        client_secret=SECRET,
        redirect_uri=CALLBACK,
        post_logout_redirect_uri=LOGGED_OUT,
        accounts=ACCOUNTS,
    ) as issuer:
        yield issuer


@pytest.fixture
def interop(app, make, login, node_issuer):
    """The tenant, configured by its admin on the settings page (so discovery runs live)."""
    tenant = make.tenant("interop", name="Interop Kommune")
    team = make.unit(tenant, "Team Interop")
    with make.scope(tenant):
        db.session.get(OrgUnit, team.id).external_id = "team-interop"
    admin_browser = app.test_client()
    from web.auth.session import session_payload

    admin = make.user(tenant, "Ada Admin", roles=(TenantRoleName.ADMIN,))
    with admin_browser.session_transaction() as session:
        session.update(session_payload(admin))
    reply = admin_browser.post(
        "/t/interop/admin/sso",
        data={
            "issuer": node_issuer,
            "client_id": CLIENT,
            "client_secret": SECRET,
            "scopes": "openid profile email aktorskab",
            "email_claim": "email",
            "name_claim": "name",
            "unit_claim": "unit",
            "unit_claim_kind": "external_id",
            "roles_claim": "groups",
            "leader_values": "grp-leder",
            "hr_values": "grp-hr",
            "is_enabled": "y",
        },
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)[:3000]
    # The save is a draft: a test sign-in through the provider, then "Apply".
    version_id = pending_id(app, tenant)
    started = start_test(admin_browser, tenant, version_id)
    assert started.status_code == 302, started.get_data(as_text=True)[:3000]
    result = admin_browser.get(
        authorize(requests.Session(), started.headers["Location"], "olivia.interop")
    )
    assert 'id="test-passed"' in result.get_data(as_text=True), result.get_data(as_text=True)[:3000]
    assert apply_version(admin_browser, tenant, version_id).status_code == 302
    return tenant


def authorize(browser: requests.Session, authorization_url: str, login: str) -> str:
    def fill(form):
        data = dict(form["fields"])
        if "login" in data:
            data.update(login=login, password="any password")
        return data

    return follow_until(browser, authorization_url, CALLBACK, fill)


def test_full_interoperability_run(app, client, interop, node_issuer):
    flow = Flow(client, interop)
    browser = requests.Session()
    authorization_url = flow.start()
    assert authorization_url.startswith(f"{node_issuer}/auth?")
    assert query(authorization_url)["code_challenge_method"] == "S256"

    callback = authorize(browser, authorization_url, "olivia.interop")
    assert query(callback)["iss"] == node_issuer  # RFC 9207, advertised and sent
    reply = flow.callback(callback)
    assert reply.status_code == 302, reply.get_data(as_text=True)[:2000]
    assert reply.headers["Location"] == "/t/interop/"

    with app.app_context(), tenant_scope(interop.id):
        user = db.session.scalar(select(User).filter_by(subject="olivia.interop"))
        assert (user.display_name, user.email, user.locale) == (
            "Olivia Interop",
            "olivia@interop.dk",
            "en",
        )
        assert {r.role for r in user.roles} == {TenantRoleName.HR}
        assert set(db.session.scalars(select(Membership.role).filter_by(user_id=user.id))) == {
            MembershipRole.LEADER
        }
    assert audit_entries(app, interop, "auth.login")[-1].actor_id == user.id

    # Logout: locally, then at the provider, which confirms and sends the browser back.
    reply = client.post("/t/interop/auth/logout")
    end_session = reply.headers["Location"]
    assert end_session.startswith(f"{node_issuer}/session/end?")
    assert flow.signed_in_user_id() is None
    back = follow_until(browser, end_session, LOGGED_OUT, lambda form: dict(form["fields"]))
    assert client.get(back).status_code == 200

    # The provider's session is really gone: the next login asks for credentials again.
    reply = browser.get(flow.start(), allow_redirects=True, timeout=10)
    assert 'name="login"' in reply.text


def test_tampered_callback_issuer_is_refused(app, client, interop, node_issuer):
    flow = Flow(client, interop)
    callback = authorize(requests.Session(), flow.start(), "olivia.interop")
    reply = flow.callback(callback.replace("iss=", "iss=https%3A%2F%2Fevil.example&x="))
    assert reply.status_code == 400
    assert refusals(app, interop)[-1] == "callback_issuer_mismatch"
    assert flow.signed_in_user_id() is None


def test_missing_callback_issuer_is_refused_when_advertised(app, client, interop):
    flow = Flow(client, interop)
    callback = authorize(requests.Session(), flow.start(), "olivia.interop")
    reply = flow.callback(callback.replace("iss=", "not_iss="))
    assert reply.status_code == 400
    assert refusals(app, interop)[-1] == "callback_issuer_missing"
