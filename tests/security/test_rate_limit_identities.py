"""The API's limits count identities, not bytes: no spelling of a header, no choice of
operation and no supply of made-up tokens gets a request past them (issue 15, point 1)."""

from __future__ import annotations

import secrets

import pytest
from flask import Flask

from tests import apps
from web.auth.session import session_payload
from web.users.models import TenantRoleName

API = "/t/solby/api/v1"


def _limited(app: Flask, **limits: object) -> Flask:
    return apps.limited_app(app, **limits)


@pytest.fixture
def limited_app(app: Flask, db_session) -> Flask:
    return _limited(app, RATELIMIT_API="4 per minute", RATELIMIT_API_FAILED_AUTH="5 per minute")


@pytest.fixture
def failures_app(app: Flask, db_session) -> Flask:
    """Only the failed-authentication limit is small here."""
    return _limited(app, RATELIMIT_API="100 per minute", RATELIMIT_API_FAILED_AUTH="5 per minute")


@pytest.fixture
def solby(make):
    return make.tenant("solby")


@pytest.fixture
def hr(make, solby):
    return make.user(solby, roles=(TenantRoleName.HR,))


@pytest.fixture
def secret(make, solby, hr) -> str:
    from web.api import tokens

    with make.scope(solby):
        return tokens.create_token(hr, "test", 30).secret


SPELLINGS = (
    "Bearer {}",
    "Bearer  {}",
    "Bearer   {}",
    "Bearer    {}",
    "bearer {}",
    "BEARER {}",
    "Bearer\t{}",
    " Bearer {} ",
)


def test_every_spelling_of_one_token_shares_one_counter(limited_app, secret):
    client = limited_app.test_client()
    answers = [
        client.get(f"{API}/me", headers={"Authorization": form.format(secret)}).status_code
        for form in SPELLINGS
    ]
    # Each spelling is the same valid token (so 200), and all eight count against it.
    assert answers[:4] == [200] * 4
    assert answers[4:] == [429] * 4


def test_the_limit_is_shared_by_every_operation(limited_app, secret):
    client = limited_app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    for _ in range(4):
        assert client.get(f"{API}/me", headers=auth).status_code == 200
    for path in ("/cycles", "/examples", "/me", "/openapi.json"):
        refused = client.get(f"{API}{path}", headers=auth)
        assert refused.status_code == 429, path
        assert refused.json["error"]["code"] == "rate_limited"


def test_made_up_tokens_are_limited_per_address_and_tenant(failures_app, secret, make):
    make.tenant("vestby")
    client = failures_app.test_client()
    answers = [
        client.get(
            f"{API}/me", headers={"Authorization": f"Bearer akt_{secrets.token_urlsafe(32)}"}
        ).status_code
        for _ in range(8)
    ]
    assert answers == [401] * 5 + [429] * 3
    # Once refused, the address is refused for real tokens too: guessing does not pay.
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 429
    # Another address, or the same address in another tenant, is not affected.
    other = client.get(
        f"{API}/me",
        headers={"Authorization": f"Bearer {secret}"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other.status_code == 200
    assert (
        client.get("/t/vestby/api/v1/me", headers={"Authorization": "Bearer akt_x"}).status_code
        == 401
    )


def test_malformed_authorization_headers_count_as_failures_too(failures_app, secret):
    client = failures_app.test_client()
    headers = [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Token akt_x",
        "Bearer akt_" + "x" * 300,
        "",
        "Bearer akt_a akt_b",
    ]
    answers = [client.get(f"{API}/me", headers={"Authorization": h}).status_code for h in headers]
    assert answers == [401] * 5 + [429]


def test_requests_without_credentials_count_as_failures(failures_app, secret):
    client = failures_app.test_client()
    answers = [client.get(f"{API}/me").status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]


def test_behind_a_trusted_proxy_failures_count_per_client(app, db_session, secret):
    client = _limited(
        app, RATELIMIT_API_FAILED_AUTH="2 per minute", TRUSTED_PROXIES=1
    ).test_client()

    def guess(person: str) -> int:
        return client.get(
            f"{API}/me",
            headers={"Authorization": "Bearer akt_guess", "X-Forwarded-For": person},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        ).status_code

    assert [guess("203.0.113.7") for _ in range(3)] == [401, 401, 429]
    assert guess("198.51.100.4") == 401


def test_a_session_is_limited_per_user_across_its_cookies(limited_app, hr):
    answers = []
    for _ in range(6):
        # A fresh signed-in cookie each time (a new session id): still the same person.
        client = limited_app.test_client()
        with client.session_transaction() as session:
            session.update(session_payload(hr))
        answers.append(client.get(f"{API}/me").status_code)
    assert answers == [200] * 4 + [429] * 2
