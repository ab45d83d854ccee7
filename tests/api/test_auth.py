"""Who may call the API: personal access tokens (their whole life), sessions and CSRF, and the
JSON errors for everything that is refused."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.api.client import Api, count, error_of, new_token
from web.api.models import ApiToken
from web.audit.models import AuditEntry
from web.extensions import db
from web.models import utcnow
from web.users.models import User

TOKEN = re.compile(r"akt_[A-Za-z0-9_-]{43}")


def tokens_of(app, user) -> list[ApiToken]:
    with app.app_context():
        from web.tenancy import tenant_scope

        with tenant_scope(user.tenant_id):
            return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)))


def audit_events(app, tenant) -> list[tuple[str, int | None, str | None]]:
    with app.app_context():
        from web.tenancy import tenant_scope

        with tenant_scope(tenant.id):
            return [
                (e.event, e.actor_id, e.target_type)
                for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            ]


def page(api, user):
    """A signed-in browser on the token page."""
    return api(user).client


def test_token_lifecycle_through_the_page(api, app, checker, world):
    browser = page(api, world.anna)
    created = browser.post(
        "/t/solby/api-tokens/", data={"name": "Mit regneark", "expires_in_days": "30"}
    )
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    secret = TOKEN.search(created.get_data(as_text=True)).group(0)

    [row] = tokens_of(app, world.anna)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (row.name, row.token_hash) and row.last_used_at is None
    assert timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)
    assert secret not in browser.get("/t/solby/api-tokens/").get_data(as_text=True)

    caller = Api(app, world.tenant, checker, token=secret)
    me = caller.get("/me")
    assert me.status_code == 200
    assert me.get_json()["auth"] == "token" and me.get_json()["csrf_token"] is None
    assert me.get_json()["units"] == [
        {"unit": {"id": world.team.id, "name": "Solsikken"}, "role": "employee"}
    ]
    assert tokens_of(app, world.anna)[0].last_used_at is not None

    revoked = browser.post(f"/t/solby/api-tokens/{row.id}/revoke")
    assert revoked.status_code == 302
    assert "Nøglen »Mit regneark« er tilbagekaldt og virker ikke længere." in browser.get(
        revoked.location
    ).get_data(as_text=True)
    again = browser.post(f"/t/solby/api-tokens/{row.id}/revoke")  # it already was: no message
    assert again.status_code == 302 and again.location == revoked.location
    assert "er tilbagekaldt og virker" not in browser.get(again.location).get_data(as_text=True)
    refused = caller.get("/me")
    assert refused.status_code == 401 and error_of(refused)["code"] == "invalid_token"
    assert refused.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert tokens_of(app, world.anna)[0].revoked_at is not None
    assert audit_events(app, world.tenant) == [
        ("api_token.created", world.anna.id, "api_tokens"),
        ("api_token.revoked", world.anna.id, "api_tokens"),
    ]


def test_the_page_validates_and_creates_nothing_on_bad_input(api, app, world):
    browser = page(api, world.anna)
    for data in (
        {"name": "", "expires_in_days": "30"},
        {"name": "x" * 101, "expires_in_days": "30"},
        {"name": "Ok", "expires_in_days": "1000"},
    ):
        response = browser.post("/t/solby/api-tokens/", data=data)
        assert response.status_code == 422
        assert not TOKEN.search(response.get_data(as_text=True))
    assert tokens_of(app, world.anna) == []
    assert api(None).client.get("/t/solby/api-tokens/").status_code == 401


def test_nobody_revokes_another_persons_token(api, app, checker, world):
    secret = new_token(app, world.anna)
    [row] = tokens_of(app, world.anna)
    assert page(api, world.admin).post(f"/t/solby/api-tokens/{row.id}/revoke").status_code == 404
    assert Api(app, world.tenant, checker, token=secret).get("/me").status_code == 200


def test_last_used_is_stamped_at_most_once_a_minute(app, checker, world, make):
    secret = new_token(app, world.anna)
    caller = Api(app, world.tenant, checker, token=secret)
    caller.get("/me")
    first = tokens_of(app, world.anna)[0].last_used_at
    caller.get("/me")
    assert tokens_of(app, world.anna)[0].last_used_at == first
    with make.scope(world.tenant):
        db.session.get(ApiToken, tokens_of(app, world.anna)[0].id).last_used_at = first - timedelta(
            minutes=5
        )
    caller.get("/me")
    assert tokens_of(app, world.anna)[0].last_used_at > first


def test_expired_tokens_and_inactive_users_are_refused(app, checker, world, make):
    expired = new_token(app, world.anna)
    inactive = new_token(app, world.bo)
    with make.scope(world.tenant):
        db.session.get(ApiToken, tokens_of(app, world.anna)[0].id).expires_at = (
            utcnow() - timedelta(seconds=1)
        )
        db.session.get(User, world.bo.id).is_active = False
    for secret in (expired, inactive):
        response = Api(app, world.tenant, checker, token=secret).get("/cycles")
        assert response.status_code == 401 and error_of(response)["code"] == "invalid_token"


def test_a_token_works_only_in_its_own_tenant(app, checker, world, make):
    theirs = new_token(app, world.stranger)
    ours = new_token(app, world.hr)
    cycle = make.cycle(world.tenant, world.team)
    refused = Api(app, world.tenant, checker, token=theirs).get(f"/cycles/{cycle.id}")
    assert refused.status_code == 401 and error_of(refused)["code"] == "invalid_token"
    assert Api(app, world.stranger_tenant, checker, token=ours).get("/cycles").status_code == 401
    assert Api(app, world.stranger_tenant, checker, token=theirs).get("/cycles").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Bearer akt_" + "x" * 43,
        "Bearer",
        "Basic YW5uYTpzZWNyZXQ=",
        "Bearer " + "akt_" * 100,
        "",
    ],
)
def test_malformed_credentials_are_401_even_with_a_session(api, world, header):
    response = api(world.anna).get("/me", headers={"Authorization": header})
    assert response.status_code == 401 and error_of(response)["code"] == "invalid_token"


def test_without_credentials_everything_but_the_document_is_401(api, app, world):
    anonymous = api(None)
    response = anonymous.get("/cycles")
    assert response.status_code == 401 and error_of(response)["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert anonymous.post("/cycles", json={}).status_code == 401
    assert anonymous.get("/openapi.json").status_code == 200


def test_session_writes_need_the_csrf_header_token_writes_do_not(
    api, app, checker, world, monkeypatch
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    cycle_body = {
        "unit_id": world.team.id,
        "preparation_starts_on": "2027-03-01",
        "preparation_ends_on": "2027-03-15",
    }
    browser = api(world.leader)
    me = browser.get("/me").get_json()
    assert me["auth"] == "session" and me["csrf_token"]
    refused = browser.post("/cycles", json=cycle_body)
    assert refused.status_code == 403 and error_of(refused)["code"] == "csrf_failed"
    wrong = browser.post("/cycles", json=cycle_body, headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 403
    from web.cycles.models import Cycle

    assert count(app, world.tenant, Cycle) == 0
    accepted = browser.post("/cycles", json=cycle_body, headers={"X-CSRFToken": me["csrf_token"]})
    assert accepted.status_code == 201

    other = api(world.other_leader)
    token_caller = Api(app, world.tenant, checker, token=new_token(app, world.other_leader))
    assert (
        token_caller.post(
            "/cycles", json={**cycle_body, "unit_id": world.other_team.id}
        ).status_code
        == 201
    )
    # The token page's form is not exempt from the app's CSRF protection.
    assert (
        page(api, world.anna)
        .post("/t/solby/api-tokens/", data={"name": "x", "expires_in_days": "30"})
        .status_code
        == 400
    )
    assert other.get("/cycles").status_code == 200


def test_routing_errors_are_json_too(api, world):
    anna = api(world.anna)
    unknown = anna.get("/nowhere")
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "not_found"
    wrong_method = anna.delete("/cycles")
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]
    no_tenant = anna.get("/t/atlantis/api/v1/cycles")
    assert no_tenant.status_code == 404 and error_of(no_tenant)["code"] == "not_found"
    negative = anna.get("/cycles/-1")
    assert negative.status_code == 404 and negative.is_json


def test_messages_follow_the_request_language(api, world):
    anna = api(world.anna)
    danish = anna.get("/nowhere", headers={"Accept-Language": "da"})
    english = api(None).get("/cycles", headers={"Accept-Language": "en"})
    assert error_of(danish)["message"] == "Det, du ledte efter, findes ikke."
    assert (
        error_of(english)["message"] == "Log in, or send an API token in the Authorization header."
    )
