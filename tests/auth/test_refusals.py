"""Every login the issue lists as hostile or broken is refused: a translated error page, no
session, and an audit entry saying why. Tokens the mock cannot produce come from
``ForgeProvider``, a real provider on loopback whose id_tokens the test shapes."""

from __future__ import annotations

import time

import pytest

from tests.auth.flows import Flow, audit_entries, configure, refusals
from tests.auth.providers import ForgeProvider, query, rsa_key, unsigned_token
from web.extensions import db
from web.users.models import User

REFUSED_DA = "Svaret fra login-tjenesten kunne ikke godkendes, så du er ikke logget ind."
REFUSED_EN = "The answer from the login service could not be verified, so you are not logged in."
# A refusal that says the setup does not fit (the person cannot do anything about it).
CONFIG_DA = "Log-in er ikke sat korrekt op hos jeres kommune — kontakt jeres administrator"
CONFIG_EN = "Sign-in is not set up correctly for your municipality — contact your administrator"
STATE_DA = "Login-forsøget er udløbet, allerede brugt eller startet i en anden browser."


def assert_refused(
    app, flow: Flow, reply, reason: str, status: int = 400, text: str = REFUSED_DA
) -> None:
    html = reply.get_data(as_text=True)
    assert reply.status_code == status, html[:800]
    assert text in html
    assert f"kode: {reason} (" in html.replace("Error code", "Fejlkode")
    assert flow.signed_in_user_id() is None
    assert refusals(app, flow.tenant)[-1] == reason


@pytest.fixture
def forged(make, client, forge: ForgeProvider) -> Flow:
    """A tenant whose provider is the ForgeProvider."""
    tenant = make.tenant("forgeby", name="Forgeby Kommune")
    configure(
        make, tenant, forge.issuer, client_id=forge.client_id, client_secret=forge.client_secret
    )
    return Flow(client, tenant)


def forge_login(flow: Flow, forge: ForgeProvider, **headers: str):
    import requests

    redirect = requests.get(flow.start(), allow_redirects=False, timeout=5)
    assert redirect.status_code == 302, redirect.text
    return flow.callback(redirect.headers["Location"], **headers)


def test_the_forge_provider_logs_in_when_nothing_is_wrong(app, forged, forge):
    reply = forge_login(forged, forge)
    assert reply.status_code == 302
    assert forged.signed_in_user_id() is not None
    assert forge.token_requests == 1  # PKCE and client secret were checked there
    assert forge.auth_methods_seen == ["client_secret_basic"]


def test_client_secret_goes_in_the_body_when_that_is_all_the_provider_takes(forged, forge):
    forge.metadata_extra = {"token_endpoint_auth_methods_supported": ["client_secret_post"]}
    assert forge_login(forged, forge).status_code == 302
    assert forge.auth_methods_seen == ["client_secret_post"]


def shape(forge: ForgeProvider, change) -> None:
    def make_token(claims, provider):
        return change(dict(claims), provider)

    forge.make_token = make_token


def test_wrong_issuer_is_refused(app, forged, forge):
    shape(forge, lambda c, p: p.sign({**c, "iss": "https://login.other-kommune.dk"}))
    assert_refused(app, forged, forge_login(forged, forge), "id_token_issuer", text=CONFIG_DA)


def test_wrong_audience_is_refused(app, forged, forge):
    shape(forge, lambda c, p: p.sign({**c, "aud": "some-other-client"}))
    assert_refused(app, forged, forge_login(forged, forge), "id_token_audience", text=CONFIG_DA)


def test_extra_audience_needs_azp_naming_us(app, forged, forge):
    shape(forge, lambda c, p: p.sign({**c, "aud": [c["aud"], "x"], "azp": "x"}))
    assert_refused(app, forged, forge_login(forged, forge), "id_token_audience", text=CONFIG_DA)


def test_expired_token_is_refused(app, forged, forge):
    now = int(time.time())
    shape(forge, lambda c, p: p.sign({**c, "iat": now - 900, "exp": now - 300}))
    assert_refused(app, forged, forge_login(forged, forge), "id_token_expired")


def test_token_issued_in_the_future_is_refused(app, forged, forge):
    now = int(time.time())
    shape(forge, lambda c, p: p.sign({**c, "iat": now + 600, "exp": now + 900}))
    # Named as what it is (issue 15): tests/auth/test_oidc_robustness.py checks the page.
    assert_refused(
        app,
        forged,
        forge_login(forged, forge),
        "provider_clock_ahead",
        text="Login-tjenestens ur går foran vores",
    )


def test_small_clock_skew_is_tolerated(app, forged, forge):
    now = int(time.time())
    shape(forge, lambda c, p: p.sign({**c, "iat": now + 20, "exp": now - 20 + 300}))
    assert forge_login(forged, forge).status_code == 302
    assert forged.signed_in_user_id() is not None


def test_signature_by_a_foreign_key_is_refused(app, forged, forge):
    intruder = rsa_key(forge.key.kid)  # same kid, different key
    shape(forge, lambda c, p: p.sign(c, key=intruder))
    assert_refused(app, forged, forge_login(forged, forge), "id_token_signature")


def test_alg_none_is_refused_even_when_advertised(app, forged, forge):
    shape(forge, lambda c, p: unsigned_token(c))
    assert_refused(app, forged, forge_login(forged, forge), "id_token_alg")


def test_symmetric_signature_is_refused_even_when_advertised(app, forged, forge):
    shape(forge, lambda c, p: p.sign_hs256(c))
    assert_refused(app, forged, forge_login(forged, forge), "id_token_alg")


def test_unknown_kid_refetches_the_jwks_once_then_fails(app, forged, forge):
    stranger = rsa_key("never-published")
    shape(forge, lambda c, p: p.sign(c, key=stranger))
    assert_refused(app, forged, forge_login(forged, forge), "id_token_unknown_kid", text=CONFIG_DA)
    assert forge.jwks_requests == 2


def test_rotated_key_is_found_by_refetching_the_jwks(app, forged, forge):
    forge_login(forged, forge)  # caches the JWKS with the first key
    forged.client.post("/t/forgeby/auth/logout")
    rotated = rsa_key("forge-2")
    forge.published = [rotated]
    shape(forge, lambda c, p: p.sign(c, key=rotated))
    assert forge_login(forged, forge).status_code == 302
    assert forged.signed_in_user_id() is not None
    assert forge.jwks_requests == 2


def test_missing_nonce_is_refused(app, forged, forge):
    shape(forge, lambda c, p: p.sign({k: v for k, v in c.items() if k != "nonce"}))
    assert_refused(app, forged, forge_login(forged, forge), "id_token_nonce")


def test_mismatched_nonce_is_refused(app, forged, forge):
    shape(forge, lambda c, p: p.sign({**c, "nonce": "a-nonce-from-another-login"}))
    assert_refused(app, forged, forge_login(forged, forge), "id_token_nonce")


def test_token_without_subject_is_refused(app, forged, forge):
    shape(forge, lambda c, p: p.sign({k: v for k, v in c.items() if k != "sub"}))
    assert_refused(app, forged, forge_login(forged, forge), "id_token_claims_missing")


def test_token_without_a_name_is_refused_with_the_claims_named(app, forged, forge):
    forge.claims = {"sub": "nameless", "email": "n@example.org"}
    reply = forge_login(forged, forge, **{"Accept-Language": "en"})
    assert_refused(app, forged, reply, "claims_missing", text=CONFIG_EN)
    assert "The login service did not send: name." in reply.get_data(as_text=True)
    assert audit_entries(app, forged.tenant, "auth.login_refused")[-1].subject == "nameless"


@pytest.mark.parametrize(
    ("variant", "reason"),
    [
        ("its own keys and issuer", "id_token_unknown_kid"),
        ("a shared key, its own issuer", "id_token_issuer"),
        ("a shared provider, its own client", "id_token_audience"),
    ],
)
def test_token_from_another_tenants_provider_is_refused(app, forged, forge, variant, reason):
    """Our token endpoint hands over an id_token meant for another municipality."""
    nabo = ForgeProvider(kid="nabo-1")
    nabo.issuer = "http://127.0.0.1:1/nabo"  # never contacted: only its token is replayed

    def other_tenants_token(claims, provider):
        if variant == "its own keys and issuer":
            return nabo.sign({**claims, "iss": nabo.issuer, "aud": "nabo-client"})
        if variant == "a shared key, its own issuer":
            return provider.sign({**claims, "iss": nabo.issuer})
        return provider.sign({**claims, "aud": "nabo-client"})

    forge.make_token = other_tenants_token
    assert_refused(app, forged, forge_login(forged, forge), reason, text=CONFIG_DA)


def test_callback_issuer_must_match_when_present(app, forged, forge):
    forge.callback_extra = {"iss": "https://login.other-kommune.dk"}
    assert_refused(
        app, forged, forge_login(forged, forge), "callback_issuer_mismatch", text=CONFIG_DA
    )
    assert forge.token_requests == 0  # the code never left for the token endpoint


def test_callback_issuer_is_required_when_advertised(app, forged, forge):
    forge.metadata_extra = {"authorization_response_iss_parameter_supported": True}
    assert_refused(
        app, forged, forge_login(forged, forge), "callback_issuer_missing", text=CONFIG_DA
    )


def test_refusal_page_is_translated(app, forged, forge):
    shape(forge, lambda c, p: p.sign({**c, "aud": "someone-else"}))
    reply = forge_login(forged, forge, **{"Accept-Language": "en-GB,en"})
    assert_refused(app, forged, reply, "id_token_audience", text=CONFIG_EN)
    assert '<html lang="en">' in reply.get_data(as_text=True)


# --- state and code, through oidc-provider-mock -----------------------------------------


def test_missing_state_is_refused(app, flow, mock_provider):
    callback = mock_provider.authorize(flow.start(), "anna.ansat")
    reply = flow.callback(callback.replace("state=", "notstate="))
    assert_refused(app, flow, reply, "state_missing", text=STATE_DA)


def test_state_from_another_browser_is_refused(app, flow, mock_provider):
    from tests.auth.flows import Flow as Browser

    callback = mock_provider.authorize(flow.start(), "anna.ansat")
    victim = Browser(app.test_client(), flow.tenant)
    reply = victim.callback(callback)
    assert_refused(app, victim, reply, "state_mismatch", text=STATE_DA)
    # ...and the state is burnt: not even the browser that started it can use it now.
    assert_refused(app, flow, flow.callback(callback), "state_replayed", text=STATE_DA)


def test_unknown_state_is_refused(app, flow, mock_provider):
    callback = mock_provider.authorize(flow.start(), "anna.ansat")
    state = query(callback)["state"]
    reply = flow.callback(callback.replace(state, "x" * len(state)))
    assert_refused(app, flow, reply, "state_mismatch", text=STATE_DA)


def test_replayed_state_is_refused_even_with_the_old_cookie(app, flow, mock_provider):
    mock_provider.set_user("rita.replay", name="Rita", unit="team-sol")
    callback = mock_provider.authorize(flow.start(), "rita.replay")
    # The cookie that still holds the state:
    cookie = flow.client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert flow.callback(callback).status_code == 302
    flow.client.post("/t/solby/auth/logout")
    flow.client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie, domain="localhost")
    assert_refused(app, flow, flow.callback(callback), "state_replayed", text=STATE_DA)


def test_replayed_code_is_refused(app, flow, mock_provider):
    mock_provider.set_user("carl.code", name="Carl", unit="team-sol")
    first = mock_provider.authorize(flow.start(), "carl.code")
    assert flow.callback(first).status_code == 302
    flow.client.post("/t/solby/auth/logout")
    # A fresh, valid state, but the code that was already exchanged.
    second = mock_provider.authorize(flow.start(), "carl.code")
    replay = second.replace(query(second)["code"], query(first)["code"])
    assert_refused(app, flow, flow.callback(replay), "code_rejected")


def test_code_from_another_tenants_provider_is_refused(
    app, flow, mock_provider, other_mock_provider
):
    """Mix-up: our authorization request, answered by another municipality's provider."""
    ours = flow.start()
    theirs = ours.replace(mock_provider.url, other_mock_provider.url)
    callback = other_mock_provider.authorize(theirs, "anna.ansat")
    assert_refused(app, flow, flow.callback(callback), "code_rejected")


def test_provider_error_is_refused(app, flow):
    state = query(flow.start())["state"]
    reply = flow.callback(f"/t/solby/auth/callback?error=access_denied&state={state}")
    assert_refused(
        app, flow, reply, "provider_error", text="Login-tjenesten gennemførte ikke login."
    )


def test_disabled_user_is_refused(app, make, flow, mock_provider):
    tenant = flow.tenant
    user = make.user(tenant, "Dorte Deaktiveret")
    with make.scope(tenant):
        db.session.get(User, user.id).is_active = False
    mock_provider.set_user(user.subject, name="Dorte", unit="team-sol")
    reply = flow.login(mock_provider, user.subject)
    assert_refused(
        app, flow, reply, "user_disabled", status=403, text="Din adgang til Aktørskab er lukket."
    )
    entry = audit_entries(app, tenant, "auth.login_refused")[-1]
    assert entry.actor_id == user.id


def test_a_callback_without_this_browsers_state_keeps_an_earlier_session(app, flow, mock_provider):
    # Issue 15: this used to sign the person out, so any page could log people out with a
    # link. A session only ever ends through a login attempt this browser started, and a
    # sign-in clears the browser's pending states, so a signed-in session is not touched.
    mock_provider.set_user("erik.earlier", name="Erik", unit="team-sol")
    flow.login(mock_provider, "erik.earlier")
    assert flow.signed_in_user_id() is not None
    flow.callback("/t/solby/auth/callback?code=x")
    assert flow.signed_in_user_id() is not None


def test_unreachable_provider_is_a_clear_error(app, make, client):
    tenant = make.tenant("nede")
    configure(make, tenant, "http://127.0.0.1:9")
    browser = Flow(client, tenant)
    reply = client.get("/t/nede/auth/login")
    assert_refused(
        app,
        browser,
        reply,
        "metadata_unreachable",
        status=502,
        text="Vi kunne ikke kontakte jeres login-tjeneste.",
    )


def test_tenant_without_sso_says_so(app, make, client):
    tenant = make.tenant("uden", name="Uden Kommune")
    reply = client.get("/t/uden/auth/login")
    assert_refused(
        app,
        Flow(client, tenant),
        reply,
        "sso_not_configured",
        status=503,
        text="Uden Kommune har ikke sat fælles login op",
    )
