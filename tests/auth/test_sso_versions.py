"""A change of a tenant's SSO never locks the municipality out (issue 24).

Through real providers on loopback: the dev identity provider (oidc-provider-mock, here with
client registration required, so that it refuses a client id it does not know, as Entra ID and
Okta do) and the forge SAML IdP (responses signed by xmlsec1). A saved page is a draft; the
version in force keeps signing everyone in until a test sign-in with the draft passed and the
admin applied it; rollback restores the earlier version; a failed sign-in explains itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
import requests
from flask import Flask, Response
from sqlalchemy import select

from tests.auth.flows import (
    EMAIL,
    NAME,
    SP_ENTITY_ID,
    Flow,
    apply_version,
    audit_entries,
    configure,
    configure_saml,
    pending_id,
    refusals,
    start_test,
)
from tests.auth.providers import MockProvider, insecure_transport_allowed, serve
from tests.auth.saml_forge import ForgeIdP, Person, post_value, read_request
from web.auth import alerts, versions
from web.auth.models import SsoSettings, VersionStatus
from web.extensions import db
from web.tenancy import tenant_scope
from web.users.models import TenantRoleName, User

SLUG = "versby"
CALLBACK = f"http://localhost/t/{SLUG}/auth/callback"


@pytest.fixture(scope="module")
def strict_provider() -> Iterator[tuple[MockProvider, str, str]]:
    """The dev provider refusing unregistered clients, with one client registered for us."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", ImportWarning)
        import oidc_provider_mock

    with (
        insecure_transport_allowed(),
        serve(oidc_provider_mock.app(require_nonce=True, require_client_registration=True)) as url,
    ):
        reply = requests.post(
            f"{url}/oauth2/clients", json={"redirect_uris": [CALLBACK]}, timeout=5
        )
        reply.raise_for_status()
        client = reply.json()
        yield MockProvider(url), client["client_id"], client["client_secret"]


@pytest.fixture
def versby(app, make, strict_provider):
    provider, client_id, secret = strict_provider
    tenant = make.tenant(SLUG, name="Versby Kommune")
    make.unit(tenant, "Team Sol")
    configure(make, tenant, provider.issuer, client_id=client_id, client_secret=secret)
    admin = make.user(tenant, "Asta Admin", roles=(TenantRoleName.ADMIN,))
    browser = app.test_client()
    from web.auth.session import session_payload

    with browser.session_transaction() as session:
        session.update(session_payload(admin))
    provider.set_user("hanne.hr", name="Hanne HR", email="hanne@versby.dk", groups=["grp-hr"])
    return tenant, browser, admin


def form(issuer: str, client_id: str, **overrides: str) -> dict[str, str]:
    data = {
        "issuer": issuer,
        "discovery_url": "",
        "client_id": client_id,
        "client_secret": "",
        "scopes": "openid profile email",
        "email_claim": "email",
        "name_claim": "name",
        "unit_claim": "unit",
        "unit_claim_kind": "external_id",
        "roles_claim": "groups",
        "leader_values": "grp-leder",
        "hr_values": "grp-hr",
        "hovedudvalg_values": "grp-hu",
        "admin_values": "grp-admin",
        "is_enabled": "y",
    }
    return data | overrides


def sign_in(app, tenant, provider: MockProvider, sub: str) -> User:
    """A person of the tenant signs in (a browser of their own); returns them."""
    person = Flow(app.test_client(), tenant)
    reply = person.login(provider, sub)
    assert reply.status_code == 302, reply.get_data(as_text=True)[:1500]
    with app.app_context(), tenant_scope(tenant.id):
        user = db.session.scalar(select(User).filter_by(subject=sub))
        assert person.signed_in_user_id() == user.id
        return user


def roles(app, tenant, sub: str) -> set[str]:
    with app.app_context(), tenant_scope(tenant.id):
        user = db.session.scalar(select(User).filter_by(subject=sub))
        return {r.role.value for r in user.roles}


def state(app, tenant) -> tuple[int | None, SsoSettings]:
    """(number of the version in force, the settings every sign-in reads)."""
    with app.app_context(), tenant_scope(tenant.id):
        current = versions.in_force()
        db.session.commit()
        return (current.number if current else None), db.session.scalar(select(SsoSettings))


def test_a_wrong_client_id_fails_its_test_and_the_tenant_keeps_signing_in(
    app, versby, strict_provider
):
    provider, client_id, _secret = strict_provider
    tenant, browser, admin = versby
    number_before, _ = state(app, tenant)

    saved = browser.post(
        f"/t/{SLUG}/admin/sso", data=form(provider.issuer, client_id + "x")
    )  # a typo
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    draft = pending_id(app, tenant)
    assert draft is not None

    tested = start_test(browser, tenant, draft)
    page = tested.get_data(as_text=True)
    assert tested.status_code == 200, page[:2000]
    assert 'id="test-failed"' in page
    assert f"Login-tjenesten kender ikke klient-id&#39;et {client_id}x" in page
    assert "invalid_client" in page  # the provider's own words
    assert "Traceback" not in page

    # The version in force still signs everyone in, and the draft cannot be applied.
    assert sign_in(app, tenant, provider, "hanne.hr").display_name == "Hanne HR"
    refused = apply_version(browser, tenant, draft)
    assert refused.status_code == 302
    assert "først tages i brug, når en afprøvning" in browser.get(
        refused.headers["Location"]
    ).get_data(as_text=True)
    assert state(app, tenant)[0] == number_before

    tests = audit_entries(app, tenant, "sso.version_tested")
    assert tests[-1].details["passed"] is False
    assert tests[-1].details["reason"] == "client_unknown"
    assert tests[-1].actor_id == admin.id


def test_a_corrected_draft_passes_applies_and_rolls_back(app, versby, strict_provider):
    provider, client_id, secret = strict_provider
    tenant, browser, admin = versby
    assert roles(app, tenant, sign_in(app, tenant, provider, "hanne.hr").subject) == {"hr"}
    number_before, _ = state(app, tenant)

    # The draft: HR is now called grp-personale at the provider.
    provider.set_user(
        "hanne.hr", name="Hanne HR", email="hanne@versby.dk", groups=["grp-personale"]
    )
    browser.post(f"/t/{SLUG}/admin/sso", data=form(provider.issuer, client_id + "x"))
    browser.post(
        f"/t/{SLUG}/admin/sso", data=form(provider.issuer, client_id, hr_values="grp-personale")
    )
    draft = pending_id(app, tenant)
    page = browser.get(f"/t/{SLUG}/admin/sso").get_data(as_text=True)
    assert "Ikke afprøvet endnu." in page and "Ændret: role_values." in page

    started = start_test(browser, tenant, draft)
    assert started.status_code == 302, started.get_data(as_text=True)[:2000]
    provider.set_user(
        "tove.test",
        name="Tove Test",
        email="tove@versby.dk",
        groups=["grp-personale"],
        acr="urn:test:loa",
    )
    result = browser.get(provider.authorize(started.headers["Location"], "tove.test"))
    html = result.get_data(as_text=True)
    assert result.status_code == 200
    assert 'id="test-passed"' in html, html[:3000]
    for shown in ("Tove Test", "tove@versby.dk", "hr", "urn:test:loa", "grp-personale"):
        assert shown in html
    # Nobody was created or changed, and the admin is still the admin in this browser.
    with app.app_context(), tenant_scope(tenant.id):
        assert db.session.scalar(select(User).filter_by(subject="tove.test")) is None
    with browser.session_transaction() as session:
        assert session["user_id"] == admin.id
    # Before it is applied, sign-ins still use the version in force: no HR role.
    assert roles(app, tenant, sign_in(app, tenant, provider, "hanne.hr").subject) == set()

    assert apply_version(browser, tenant, draft).status_code == 302
    applied, settings = state(app, tenant)
    assert applied > number_before and settings.values_for("hr") == ["grp-personale"]
    assert roles(app, tenant, sign_in(app, tenant, provider, "hanne.hr").subject) == {"hr"}

    # One action back to the earlier version; the next sign-in uses it.
    back = browser.post(f"/t/{SLUG}/admin/sso/rollback")
    assert back.status_code == 302
    assert state(app, tenant)[0] == number_before
    assert roles(app, tenant, sign_in(app, tenant, provider, "hanne.hr").subject) == set()

    events = [e.event for e in audit_entries(app, tenant) if e.event.startswith("sso.version")]
    assert events == [
        "sso.version_drafted",
        "sso.version_drafted",
        "sso.version_tested",
        "sso.version_applied",
        "sso.version_rolled_back",
    ]
    for entry in audit_entries(app, tenant):
        assert secret not in str(entry.details)
    rolled = audit_entries(app, tenant, "sso.version_rolled_back")[-1]
    assert rolled.actor_id == admin.id and rolled.details["changed"] == ["role_values"]


def test_the_operator_lists_versions_and_rolls_back(app, make, versby, strict_provider):
    provider, client_id, secret = strict_provider
    tenant, _browser, _admin = versby
    configure(
        make,
        tenant,
        provider.issuer,
        client_id=client_id,
        client_secret=secret,
        scopes="openid email",
    )
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["sso", "versions", SLUG])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split("\t")[:2] == ["2", "in_force"] and "scopes" in lines[0]
    assert lines[1].split("\t")[:2] == ["1", "superseded"]
    assert secret not in listed.output

    back = runner.invoke(args=["sso", "rollback", SLUG])
    assert back.exit_code == 0, back.output
    assert "version 1 is in force again" in back.output
    assert state(app, tenant)[1].scopes == "openid profile email"
    assert sign_in(app, tenant, provider, "hanne.hr")
    again = runner.invoke(args=["sso", "rollback", "no-such-tenant"])
    assert again.exit_code != 0


@pytest.mark.parametrize(
    ("language", "title", "text"),
    [
        (
            "da",
            "Log-in er ikke sat korrekt op",
            "Log-in er ikke sat korrekt op hos jeres kommune — kontakt jeres administrator",
        ),
        (
            "en",
            "Sign-in is not set up correctly",
            "Sign-in is not set up correctly for your municipality — contact your administrator",
        ),
    ],
)
def test_a_failed_sign_in_explains_itself_and_repeats_raise_the_banner(
    app, make, versby, strict_provider, language, title, text
):
    provider, client_id, secret = strict_provider
    tenant, browser, _admin = versby
    # The operator points the name at a claim the provider never sends.
    configure(
        make,
        tenant,
        provider.issuer,
        client_id=client_id,
        client_secret=secret,
        name_claim="displayName",
    )
    provider.set_user("nanna.navnlos", email="nanna@versby.dk")
    for attempt in range(alerts.RAISE_AFTER):
        person = Flow(app.test_client(), tenant)
        reply = person.callback(
            provider.authorize(person.start(), "nanna.navnlos"),
            **{"Accept-Language": language, "X-Request-ID": f"req-{attempt}"},
        )
        html = reply.get_data(as_text=True)
        assert reply.status_code == 400
        assert title in html and text in html
        assert "claims_missing" in html and f"req-{attempt}" in html
        assert reply.headers["X-Request-ID"] == f"req-{attempt}"
        assert "default-src" in reply.headers["Content-Security-Policy"]
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert person.signed_in_user_id() is None
        if attempt == 0:
            assert 'id="sso-alert-login_failures"' not in browser.get(f"/t/{SLUG}/admin/").get_data(
                as_text=True
            )
    assert refusals(app, tenant)[-alerts.RAISE_AFTER :] == ["claims_missing"] * alerts.RAISE_AFTER
    entry = audit_entries(app, tenant, "auth.login_refused")[-1]
    assert entry.details["configuration"] is True
    page = browser.get(f"/t/{SLUG}/admin/").get_data(as_text=True)
    assert 'id="sso-alert-login_failures"' in page and "claims_missing" in page


def test_repeated_configuration_failures_mail_the_admins_once(
    app, make, versby, strict_provider, smtp_server
):
    from datetime import UTC, datetime

    from tests.reminders.helpers import deliver, settings_for

    provider, client_id, secret = strict_provider
    tenant, _browser, admin = versby
    make.user(tenant, "Erik English", roles=(TenantRoleName.ADMIN,), locale="en")
    configure(
        make,
        tenant,
        provider.issuer,
        client_id=client_id,
        client_secret=secret,
        name_claim="displayName",
    )
    provider.set_user("nanna.navnlos", email="nanna@versby.dk")
    for attempt in range(alerts.RAISE_AFTER + 2):
        person = Flow(app.test_client(), tenant)
        assert (
            person.callback(provider.authorize(person.start(), "nanna.navnlos")).status_code == 400
        )
        if attempt == alerts.RAISE_AFTER - 2:
            assert (
                deliver(app, tenant.id, settings_for(smtp_server), now=datetime.now(UTC)).claimed
                == 0
            )  # not raised yet
    deliver(app, tenant.id, settings_for(smtp_server), now=datetime.now(UTC))
    deliver(app, tenant.id, settings_for(smtp_server), now=datetime.now(UTC))
    subjects = {m["To"].addresses[0].addr_spec: m["Subject"] for m in smtp_server.messages}
    assert len(smtp_server.messages) == 2  # one each, not one per failure
    assert subjects[admin.email] == "Fælles login: log-ins afvises på grund af opsætningen"
    assert set(subjects.values()) == {
        "Fælles login: log-ins afvises på grund af opsætningen",
        "Single sign-on: sign-ins are refused because of the settings",
    }
    english = next(m for m in smtp_server.messages if m["Subject"].startswith("Single"))
    assert "claims_missing" in english.get_body(("plain",)).get_content()


# --- SAML ----------------------------------------------------------------------------------


@pytest.fixture
def samlby(app, make):
    idp = ForgeIdP()
    tenant = make.tenant("samlvers", name="Samlvers Kommune")
    make.unit(tenant, "Team Sol")
    configure_saml(make, tenant, idp.metadata())
    admin = make.user(tenant, "Sara Admin", roles=(TenantRoleName.ADMIN,))
    browser = app.test_client()
    from web.auth.session import session_payload

    with browser.session_transaction() as session:
        session.update(session_payload(admin))
    return tenant, browser, idp


PIA = Person("pia-persistent", {NAME: ["Pia Prøve"], EMAIL: ["pia@samlvers.dk"]})


def saml_sign_in(app, tenant, idp: ForgeIdP, browser=None):
    """A SAML sign-in through ``idp`` (a fresh browser unless one is given); the last reply."""
    browser = browser or app.test_client()
    started = browser.get(f"/t/{tenant.slug}/auth/login")
    assert started.status_code == 302, started.get_data(as_text=True)[:1000]
    request = read_request(started.headers["Location"])
    posted = browser.post(
        f"/t/{tenant.slug}/auth/saml/acs",
        data={
            "SAMLResponse": post_value(
                idp.response(request, PIA, sp_entity_id=SP_ENTITY_ID.format(slug=tenant.slug))
            )
        },
    )
    return browser.get(posted.headers["Location"]) if posted.status_code == 303 else posted


def saml_test(browser, tenant, idp: ForgeIdP, version_id: int) -> str:
    started = start_test(browser, tenant, version_id)
    assert started.status_code == 302, started.get_data(as_text=True)[:1000]
    request = read_request(started.headers["Location"])
    posted = browser.post(
        f"/t/{tenant.slug}/auth/saml/acs",
        data={
            "SAMLResponse": post_value(
                idp.response(request, PIA, sp_entity_id=SP_ENTITY_ID.format(slug=tenant.slug))
            )
        },
    )
    assert posted.status_code == 303, posted.get_data(as_text=True)[:1000]
    return browser.get(posted.headers["Location"]).get_data(as_text=True)


def saml_form(metadata: str, **overrides: str) -> dict[str, str]:
    return {
        "metadata_xml": metadata,
        "name_attribute": NAME,
        "email_attribute": EMAIL,
        "unit_kind": "external_id",
        "required_loa": "Substantial",
        "is_enabled": "y",
        **overrides,
    }


def test_saml_draft_with_the_wrong_key_fails_then_the_right_one_applies(app, samlby):
    tenant, browser, idp = samlby
    assert saml_sign_in(app, tenant, idp).status_code == 302
    other = ForgeIdP()  # metadata whose signing key is not the one the IdP signs with
    other.entity_id = idp.entity_id
    saved = browser.post("/t/samlvers/admin/saml", data=saml_form(other.metadata()))
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    draft = pending_id(app, tenant)

    failed = saml_test(browser, tenant, idp, draft)
    assert 'id="test-failed"' in failed
    assert "signeret med en nøgle, som login-tjenestens offentliggjorte" in failed
    # Meanwhile the version in force signs everyone in, and the test provisioned nobody.
    assert saml_sign_in(app, tenant, idp).status_code == 302

    browser.post("/t/samlvers/admin/saml", data=saml_form(idp.metadata(), required_loa="Low"))
    corrected = pending_id(app, tenant)
    passed = saml_test(browser, tenant, idp, corrected)
    assert 'id="test-passed"' in passed and "Pia Prøve" in passed and "Substantial" in passed
    assert apply_version(browser, tenant, corrected).status_code == 302
    with app.app_context(), tenant_scope(tenant.id):
        assert db.session.scalar(select(SsoSettings)).saml_required_loa == "Low"
        statuses = {v.number: v.status for v in versions.all_versions()}
    assert VersionStatus.DISCARDED in statuses.values()
    assert saml_sign_in(app, tenant, idp).status_code == 302


def test_a_refresh_that_drops_the_signing_key_is_kept_back(app, make, samlby):
    from web.auth.saml import checks
    from web.auth.saml.services import refresh_metadata

    tenant, browser, idp = samlby
    served = {"xml": idp.metadata()}
    md = Flask(__name__)
    md.add_url_rule("/md", "md", lambda: Response(served["xml"], mimetype="application/xml"))
    with serve(md) as url:
        with make.scope(tenant):
            from web.auth.saml.services import SamlInput, update_saml_settings

            update_saml_settings(
                SamlInput(metadata_url=f"{url}/md", name_attribute=NAME, email_attribute=EMAIL)
            )

        old = ForgeIdP()
        old.key_pem, old.cert_pem = idp.key_pem, idp.cert_pem
        idp.rotate()  # the IdP publishes only a new key, unannounced
        served["xml"] = idp.metadata()
        with make.scope(tenant):
            settings = db.session.scalar(select(SsoSettings))
            with pytest.raises(checks.Refused) as refused:
                refresh_metadata(settings)
            assert refused.value.reason == "metadata_signing_key_dropped"
            db.session.commit()
        # The last good copy is kept: sign-ins signed with the old key still work.
        assert saml_sign_in(app, tenant, old).status_code == 302
        page = browser.get("/t/samlvers/admin/").get_data(as_text=True)
        assert 'id="sso-alert-refresh_kept"' in page
        assert "metadata_signing_key_dropped" in page
        assert audit_entries(app, tenant, "sso.saml_metadata_kept")
