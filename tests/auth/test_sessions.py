"""Sessions: cookie flags, a new session at login, idle and absolute timeouts, logout (local,
then RP-initiated at the provider)."""

from __future__ import annotations

import time

import requests

from tests.auth.flows import CLIENT_ID, Flow, audit_entries, configure
from tests.auth.providers import query
from tests.services import PRODUCTION_REDIS_URL, TEST_DATABASE_URL, TEST_REDIS_URL
from web import create_app


def signed_in(flow: Flow, mock_provider, sub: str = "anna.ansat") -> int:
    mock_provider.set_user(sub, name=f"Navn {sub}", unit="team-sol")
    assert flow.login(mock_provider, sub).status_code == 302
    user_id = flow.signed_in_user_id()
    assert user_id is not None
    return user_id


def set_session(flow: Flow, **values) -> None:
    with flow.client.session_transaction() as session:
        session.update(values)


def test_session_cookie_is_httponly_and_samesite_lax(flow, mock_provider):
    mock_provider.set_user("kim.cookie", name="Kim", unit="team-sol")
    reply = flow.login(mock_provider, "kim.cookie")
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_session_cookie_is_secure_in_production(app, db_session, sso_tenant):
    production = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": app.config["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
            "REDIS_URL": PRODUCTION_REDIS_URL,
            "BASE_URL": "https://aktorskab.example",
            # The loopback test provider, named by the operator.
            "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
    )
    reply = production.test_client().get("/t/solby/auth/login")
    assert reply.status_code == 302
    # Behind the proxy the provider must send people back to the public address.
    assert (
        query(reply.headers["Location"])["redirect_uri"]
        == "https://aktorskab.example/t/solby/auth/callback"
    )
    cookie = reply.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_starts_a_new_session(flow, mock_provider):
    set_session(flow, lang="en", planted="by-someone-else", sid="old-session-id")
    signed_in(flow, mock_provider)
    session = flow.session()
    assert "planted" not in session
    assert session["sid"] != "old-session-id" and len(session["sid"]) >= 32
    assert session["lang"] == "en"


def test_cookie_lives_as_long_as_the_absolute_timeout(app, flow, mock_provider):
    mock_provider.set_user("lea.long", name="Lea", unit="team-sol")
    reply = flow.login(mock_provider, "lea.long")
    assert "Expires=" in reply.headers["Set-Cookie"]
    assert app.permanent_session_lifetime.total_seconds() == app.config["AUTH_ABSOLUTE_TIMEOUT"]


def test_idle_session_ends(app, flow, mock_provider):
    signed_in(flow, mock_provider, "ida.idle")
    set_session(flow, seen_at=int(time.time()) - app.config["AUTH_IDLE_TIMEOUT"] - 5)
    assert "Navn ida.idle" not in flow.client.get("/t/solby/").get_data(as_text=True)
    assert flow.signed_in_user_id() is None


def test_activity_keeps_the_session_alive(app, flow, mock_provider):
    signed_in(flow, mock_provider, "aki.active")
    stale = int(time.time()) - app.config["AUTH_IDLE_TIMEOUT"] + 120
    set_session(flow, seen_at=stale)
    assert "Navn aki.active" in flow.client.get("/t/solby/").get_data(as_text=True)
    assert flow.session()["seen_at"] > stale


def test_the_cookie_is_sent_again_only_when_the_session_changed(app, flow, mock_provider):
    """Not re-signed on every page (issue 20: the signed-in floor); the idle clock's
    ``seen_at`` still moves it once it is a minute old, and the cookie then keeps its
    absolute lifetime."""
    from web.auth.session import SEEN_RESOLUTION

    signed_in(flow, mock_provider, "sif.same")
    flow.client.get("/t/solby/")  # the first page puts the forms' CSRF token in the session
    set_session(flow, seen_at=int(time.time()))
    page = flow.client.get("/t/solby/")
    assert "Navn sif.same" in page.get_data(as_text=True)
    assert "Set-Cookie" not in page.headers
    set_session(flow, seen_at=int(time.time()) - SEEN_RESOLUTION - 1)
    page = flow.client.get("/t/solby/")
    assert "Expires=" in page.headers["Set-Cookie"]
    assert flow.session()["seen_at"] >= int(time.time()) - 5


def test_session_ends_at_the_absolute_timeout_however_active(app, flow, mock_provider):
    signed_in(flow, mock_provider, "abe.absolute")
    now = int(time.time())
    set_session(flow, login_at=now - app.config["AUTH_ABSOLUTE_TIMEOUT"] - 5, seen_at=now)
    assert "Navn abe.absolute" not in flow.client.get("/t/solby/").get_data(as_text=True)
    assert flow.signed_in_user_id() is None


def test_logout_is_local_then_at_the_provider(app, flow, mock_provider):
    signed_in(flow, mock_provider, "lars.logout")
    id_token = flow.session()["id_token"]
    old_cookie = flow.client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value

    reply = flow.client.post("/t/solby/auth/logout")
    assert reply.status_code == 302
    location = reply.headers["Location"]
    assert location.startswith(f"{mock_provider.url}/oauth2/end_session?")
    params = query(location)
    assert params["id_token_hint"] == id_token
    assert params["client_id"] == CLIENT_ID
    assert params["post_logout_redirect_uri"] == "http://localhost/t/solby/auth/logged-out"
    assert flow.signed_in_user_id() is None
    assert audit_entries(app, flow.tenant, "auth.logout")

    # The provider shows its confirmation and sends the browser back to us.
    assert requests.get(location, timeout=5).status_code == 200
    page = flow.client.get("/t/solby/auth/logged-out").get_data(as_text=True)
    assert "Du er logget ud" in page

    # A copy of the old cookie is refused: the session id was revoked.
    flow.client.set_cookie(app.config["SESSION_COOKIE_NAME"], old_cookie, domain="localhost")
    assert "Navn lars.logout" not in flow.client.get("/t/solby/").get_data(as_text=True)


def test_logout_without_end_session_endpoint_stays_local(app, make, client, forge):
    tenant = make.tenant("lokal")
    configure(
        make, tenant, forge.issuer, client_id=forge.client_id, client_secret=forge.client_secret
    )
    browser = Flow(client, tenant)
    redirect = requests.get(browser.start(), allow_redirects=False, timeout=5)
    browser.callback(redirect.headers["Location"])
    assert browser.signed_in_user_id() is not None
    reply = client.post("/t/lokal/auth/logout")
    assert reply.headers["Location"] == "/t/lokal/auth/logged-out"
    assert browser.signed_in_user_id() is None


def test_logout_works_when_the_provider_is_down(app, make, login, client, mock_provider):
    tenant = make.tenant("nedlukket")
    configure(make, tenant, "http://127.0.0.1:9")
    user = make.user(tenant, "Nils Nede")
    login(user)
    reply = client.post("/t/nedlukket/auth/logout")
    assert reply.headers["Location"] == "/t/nedlukket/auth/logged-out"


def test_the_login_fixture_still_signs_in(make, login, client):
    tenant = make.tenant("fixtur")
    user = make.user(tenant, "Frida Fixtur")
    login(user)
    assert "Frida Fixtur" in client.get("/t/fixtur/").get_data(as_text=True)


def test_a_session_is_bound_to_its_tenant(make, login, client):
    one = make.tenant("en-kommune")
    make.tenant("to-kommune")
    login(make.user(one, "Olga Én"))
    assert "Olga Én" in client.get("/t/en-kommune/").get_data(as_text=True)
    assert "Olga Én" not in client.get("/t/to-kommune/").get_data(as_text=True)


def test_a_new_secret_key_asks_for_the_client_secret_again(app, db_session, sso_tenant):
    rotated = create_app(
        {
            "ENV": "test",
            "SECRET_KEY": "a-rotated-secret-key",
            "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
            "REDIS_URL": TEST_REDIS_URL,
        }
    )
    reply = rotated.test_client().get("/t/solby/auth/login")
    assert reply.status_code == 503
    assert "Fejlkode: client_secret_unreadable" in reply.get_data(as_text=True)


def test_the_session_cookie_is_not_named_like_other_flask_apps_on_the_host(client):
    """`make run` serves the dev identity provider (a Flask app, cookie "session") on the same
    host; cookies ignore ports, so a shared name would let each overwrite the other's."""
    reply = client.post("/lang/en", data={"next": "/"})
    cookies = [c.split("=", 1)[0] for c in reply.headers.getlist("Set-Cookie")]
    assert cookies == ["aktorskab_session"]
