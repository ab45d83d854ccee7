"""The tenant admin's SSO settings page: saved (as a draft) only when the provider answers as
configured, secrets never shown back or logged, and one tenant's bad settings harm no other
tenant."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from tests.auth.flows import Flow, audit_entries, configure
from web.auth import crypto, versions
from web.auth.models import SsoSettings
from web.extensions import db
from web.tenancy import tenant_scope
from web.users.models import TenantRoleName

SECRET = "s3cret-that-must-never-show"


@pytest.fixture
def admin_client(make, login, client):
    tenant = make.tenant("adminby", name="Adminby Kommune")
    admin = make.user(tenant, "Alma Admin", roles=(TenantRoleName.ADMIN,))
    login(admin)
    client.tenant = tenant
    return client


def form(issuer: str, **overrides: str) -> dict[str, str]:
    data = {
        "issuer": issuer,
        "discovery_url": "",
        "client_id": "adminby-client",
        "client_secret": SECRET,
        "scopes": "openid profile email",
        "email_claim": "email",
        "name_claim": "name",
        "unit_claim": "unit",
        "unit_claim_kind": "external_id",
        "roles_claim": "groups",
        "leader_values": "grp-leder\ngrp-chef",
        "hr_values": "grp-hr",
        "hovedudvalg_values": "",
        "admin_values": "grp-admin",
        "is_enabled": "y",
    }
    data.update(overrides)
    return data


def stored(app, tenant) -> SsoSettings | None:
    """The settings in force."""
    with app.app_context(), tenant_scope(tenant.id):
        return db.session.scalar(select(SsoSettings))


def drafted(app, tenant) -> SsoSettings | None:
    """The settings of the pending version (what the page's last save made)."""
    with app.app_context(), tenant_scope(tenant.id):
        version = versions.pending()
        return versions.as_settings(version) if version is not None else None


def test_only_admins_reach_the_settings(make, login, client):
    tenant = make.tenant("lukket")
    assert client.get("/t/lukket/admin/sso").status_code == 401
    login(make.user(tenant, "Egon Employee"))
    assert client.get("/t/lukket/admin/sso").status_code == 403
    assert client.post("/t/lukket/admin/sso", data=form("https://x")).status_code == 403


def test_saving_checks_the_provider_and_stores_the_secret_encrypted(
    app, admin_client, mock_provider, caplog
):
    caplog.set_level(logging.DEBUG)
    reply = admin_client.post("/t/adminby/admin/sso", data=form(mock_provider.issuer))
    assert reply.status_code == 302, reply.get_data(as_text=True)[:2000]
    assert stored(app, admin_client.tenant) is None  # a draft: nothing in force yet
    settings = drafted(app, admin_client.tenant)
    assert settings.issuer == mock_provider.issuer
    assert settings.values_for("leader") == ["grp-leder", "grp-chef"]
    assert settings.values_for("hovedudvalg") == []

    with app.app_context():
        raw = db.session.execute(
            text("SELECT snapshot FROM sso_versions WHERE tenant_id = :tenant"),
            {"tenant": admin_client.tenant.id},
        ).scalar()
        assert SECRET not in str(raw)
        assert crypto.decrypt(settings.client_secret_encrypted) == SECRET
    page = admin_client.get("/t/adminby/admin/sso").get_data(as_text=True)
    assert SECRET not in page
    assert "Der er gemt en hemmelighed" in page
    assert "Ændringerne er gemt som kladde (version 1)." in page
    assert "Ikke afprøvet endnu." in page

    entry = audit_entries(app, admin_client.tenant, "sso.version_drafted")[-1]
    assert "client_secret" in entry.details["changed"]
    assert SECRET not in str(entry.details)
    assert SECRET not in caplog.text


def test_an_empty_secret_keeps_the_stored_one(app, admin_client, mock_provider):
    admin_client.post("/t/adminby/admin/sso", data=form(mock_provider.issuer))
    reply = admin_client.post(
        "/t/adminby/admin/sso",
        data=form(mock_provider.issuer, client_secret="", scopes="openid email"),
    )
    assert reply.status_code == 302
    settings = drafted(app, admin_client.tenant)
    assert settings.scopes == "openid email"
    assert settings.version == 2  # the second draft replaced the first
    with app.app_context():
        assert crypto.decrypt(settings.client_secret_encrypted) == SECRET


@pytest.mark.parametrize(
    ("issuer", "extra", "message"),
    [
        ("not a url", {}, "Skriv en fuld adresse"),
        ("https://login.example.dk/#fragment", {}, "Skriv en fuld adresse"),
        ("http://login.example.dk", {}, "Kun en login-tjeneste på denne maskine"),
        ("https://login.example.dk", {"scopes": "profile"}, "Scopes skal indeholde openid"),
        ("https://login.example.dk", {"unit_claim": "un it"}, "Et claim-navn må kun"),
        ("http://127.0.0.1:9", {}, "Vi kunne ikke hente login-tjenestens oplysninger"),
    ],
)
def test_bad_settings_are_explained_and_not_saved(app, admin_client, issuer, extra, message):
    reply = admin_client.post("/t/adminby/admin/sso", data=form(issuer, **extra))
    assert reply.status_code == 422
    html = reply.get_data(as_text=True)
    assert message in html
    assert "Opsætningen er ikke gemt." in html
    assert stored(app, admin_client.tenant) is None
    assert drafted(app, admin_client.tenant) is None


def test_an_issuer_the_provider_does_not_claim_is_refused(app, admin_client, mock_provider):
    reply = admin_client.post("/t/adminby/admin/sso", data=form(mock_provider.issuer + "/"))
    assert reply.status_code == 422
    assert "Login-tjenesten kalder sig ikke" in reply.get_data(as_text=True)


def test_errors_are_translated(admin_client):
    reply = admin_client.post(
        "/t/adminby/admin/sso", data=form("http://127.0.0.1:9"), headers={"Accept-Language": "en"}
    )
    assert "We could not fetch the login service&#39;s information" in reply.get_data(as_text=True)


def test_bad_settings_in_one_tenant_leave_another_logging_in(
    app, admin_client, flow, mock_provider
):
    assert (
        admin_client.post("/t/adminby/admin/sso", data=form("http://127.0.0.1:9")).status_code
        == 422
    )
    # Another municipality, on the same deployment, logs in as before.
    other = Flow(app.test_client(), flow.tenant)
    mock_provider.set_user("uffe.upaavirket", name="Uffe", unit="team-sol")
    assert other.login(mock_provider, "uffe.upaavirket").status_code == 302
    assert other.signed_in_user_id() is not None


def test_a_draft_that_turns_login_off_changes_nothing_until_applied(
    app, make, admin_client, mock_provider
):
    configure(make, admin_client.tenant, mock_provider.issuer)
    data = form(mock_provider.issuer)
    del data["is_enabled"]
    assert admin_client.post("/t/adminby/admin/sso", data=data).status_code == 302
    assert drafted(app, admin_client.tenant).is_enabled is False
    reply = app.test_client().get("/t/adminby/auth/login")
    assert reply.status_code == 302  # the version in force still signs people in


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"unit_claim_kind": "nonsense"}, "Ugyldigt valg."),
        ({"client_id": ""}, "Skal udfyldes."),
        ({"client_id": "x" * 256}, "Højst 255 tegn (du har skrevet 256)."),
        ({"name_claim": "name\x00"}, "Teksten indeholder tegn, der ikke er tilladt."),
    ],
)
def test_the_form_refuses_in_danish_with_the_messages_of_every_form(
    app, admin_client, fields, message
):
    reply = admin_client.post(
        "/t/adminby/admin/sso", data=form("https://login.example.dk", **fields)
    )
    # A character no text may hold is refused by the request guard, before the form (400).
    assert reply.status_code == (400 if any("\x00" in v for v in fields.values()) else 422)
    html = reply.get_data(as_text=True)
    assert message in html
    assert "Not a valid choice" not in html and "This field is required" not in html
    assert stored(app, admin_client.tenant) is None
