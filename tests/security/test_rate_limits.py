"""Rate limits on the SSO login start, its callback and the API: a translated 429."""

from __future__ import annotations

import pytest
from flask import Flask

from tests import apps
from web.users.models import TenantRoleName


@pytest.fixture
def limited_app(app: Flask, db_session) -> Flask:
    """The app with its limits on (they are off in the test environment), small, in Redis under
    a key prefix of its own."""
    return apps.limited_app(app, RATELIMIT_SSO="3 per minute", RATELIMIT_API="4 per minute")


def test_login_start_and_callback_are_limited_per_address(limited_app, make):
    make.tenant("solby")
    client = limited_app.test_client()
    for _ in range(3):
        assert client.get("/t/solby/auth/login").status_code != 429
    refused = client.get("/t/solby/auth/login")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    page = refused.get_data(as_text=True)
    assert "For mange forsøg" in page and "Vent et minut" in page
    english = client.get("/t/solby/auth/login", headers={"Accept-Language": "en"})
    assert english.status_code == 429 and "Too many attempts" in english.get_data(as_text=True)
    # The callback counts on its own, and another address is not affected.
    for _ in range(3):
        assert client.get("/t/solby/auth/callback?state=x").status_code != 429
    assert client.get("/t/solby/auth/callback?state=x").status_code == 429
    other = client.get("/t/solby/auth/login", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code != 429


def test_api_is_limited_per_token_with_a_json_error(limited_app, make):
    from web.api import tokens

    tenant = make.tenant("solby")
    user = make.user(tenant, roles=(TenantRoleName.HR,))
    with make.scope(tenant):
        secret = tokens.create_token(user, "test", 30).secret
    client = limited_app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    for _ in range(4):
        assert client.get("/t/solby/api/v1/me", headers=auth).status_code == 200
    refused = client.get("/t/solby/api/v1/me", headers=auth)
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "rate_limited"
    assert "Retry-After" in refused.headers
    # A bad token is counted before it is checked.
    for _ in range(4):
        assert (
            client.get(
                "/t/solby/api/v1/me", headers={"Authorization": "Bearer akt_guess"}
            ).status_code
            == 401
        )
    assert (
        client.get("/t/solby/api/v1/me", headers={"Authorization": "Bearer akt_guess"}).status_code
        == 429
    )


def _limited_behind(app: Flask, proxies: int) -> Flask:
    return apps.limited_app(app, RATELIMIT_SSO="2 per minute", TRUSTED_PROXIES=proxies)


def test_behind_a_trusted_proxy_each_person_has_their_own_limit(app, db_session, make):
    make.tenant("solby")
    client = _limited_behind(app, proxies=1).test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the load balancer

    def login(person: str):
        return client.get(
            "/t/solby/auth/login", environ_base=proxy, headers={"X-Forwarded-For": person}
        )

    assert [login("203.0.113.7").status_code for _ in range(3)][-1] == 429
    assert login("198.51.100.4").status_code != 429  # someone else behind the same proxy


def test_without_trusted_proxies_a_forged_header_does_not_escape_the_limit(app, db_session, make):
    make.tenant("solby")
    client = _limited_behind(app, proxies=0).test_client()
    for n in range(2):
        client.get("/t/solby/auth/login", headers={"X-Forwarded-For": f"192.0.2.{n}"})
    forged = client.get("/t/solby/auth/login", headers={"X-Forwarded-For": "192.0.2.99"})
    assert forged.status_code == 429


def test_the_limiter_checks_only_where_a_limit_applies(limited_app, make, monkeypatch):
    """Pages without a limit skip the limiter's per-request check; the SSO endpoints and the
    API still go through it."""
    limiter = limited_app.extensions["rate_limiter"]
    hooks = limited_app.before_request_funcs[None]
    assert limiter._check_request_limit not in hooks  # replaced by the wrapper
    original, checked = limiter._check_request_limit, []

    def spy(*args, **kwargs):
        checked.append(True)
        return original(*args, **kwargs)

    monkeypatch.setattr(limiter, "_check_request_limit", spy)
    make.tenant("solby")
    client = limited_app.test_client()
    for path in ("/t/solby/", "/t/solby/examples/", "/healthz"):
        client.get(path)
    assert checked == []
    client.get("/t/solby/auth/login")  # (its decorator checks too, as before)
    after_login = len(checked)
    assert after_login >= 1
    client.get("/t/solby/api/v1/me")
    assert len(checked) > after_login


def test_a_default_limit_keeps_the_check_on_every_request(app, db_session):
    limited = apps.limited_app(app, RATELIMIT_DEFAULT="1000 per minute")
    limiter = limited.extensions["rate_limiter"]
    assert limiter._check_request_limit in limited.before_request_funcs[None]
