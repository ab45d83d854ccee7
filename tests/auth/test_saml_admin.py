"""The tenant admin switches to SAML on the admin page (metadata fetched live), and back."""

from __future__ import annotations

from flask import Flask, Response

from tests.auth.flows import (
    EMAIL,
    NAME,
    SP_ENTITY_ID,
    apply_version,
    pending_id,
    start_test,
)
from tests.auth.providers import serve
from tests.auth.saml_forge import ForgeIdP, Person, post_value, read_request
from web.auth.models import Protocol
from web.auth.services import current_settings
from web.users.models import TenantRoleName


def admin_browser(app, make, tenant):
    from web.auth.session import session_payload

    admin = make.user(tenant, "Ada Admin", roles=(TenantRoleName.ADMIN,))
    browser = app.test_client()
    with browser.session_transaction() as session:
        session.update(session_payload(admin))
    return browser


def test_admin_sets_up_context_handler_from_its_metadata_url(app, make):
    tenant = make.tenant("adminby", name="Adminby Kommune")
    browser = admin_browser(app, make, tenant)
    page = browser.get("/t/adminby/admin/saml")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "http://localhost/t/adminby/auth/saml/metadata" in text
    assert "Context Handler" in text

    idp = ForgeIdP()
    metadata_app = Flask(__name__)
    metadata_app.add_url_rule(
        "/md", "md", lambda: Response(idp.metadata(), mimetype="application/xml")
    )
    with serve(metadata_app) as url:
        reply = browser.post(
            "/t/adminby/admin/saml",
            data={
                "metadata_url": f"{url}/md",
                "preset": "context-handler",
                "unit_kind": "external_id",
                "required_loa": "Substantial",
                "is_enabled": "y",
            },
        )
    assert reply.status_code == 302, reply.get_data(as_text=True)[:2000]
    # A draft: no login goes to the IdP until a test sign-in passed and the admin applied it.
    with make.scope(tenant):
        assert current_settings() is None
    version_id = pending_id(app, tenant)
    started = start_test(browser, tenant, version_id)
    assert started.status_code == 302, started.get_data(as_text=True)[:2000]
    request = read_request(started.headers["Location"])
    person = Person("ch-person", {NAME: ["Carl Handler"], EMAIL: ["carl@adminby.dk"]})
    posted = browser.post(
        "/t/adminby/auth/saml/acs",
        data={
            "SAMLResponse": post_value(
                idp.response(request, person, sp_entity_id=SP_ENTITY_ID.format(slug="adminby"))
            )
        },
    )
    assert posted.status_code == 303, posted.get_data(as_text=True)[:2000]
    result = browser.get(posted.headers["Location"]).get_data(as_text=True)
    assert 'id="test-passed"' in result and "Carl Handler" in result, result[:3000]
    assert apply_version(browser, tenant, version_id).status_code == 302
    with make.scope(tenant):
        settings = current_settings()
        assert settings.protocol == Protocol.SAML
        assert settings.issuer == idp.entity_id
        assert settings.saml_privileges_attribute.endswith("privilegesIntermediate")
        assert settings.values_for("leader") == ["http://aktorskab.dk/roles/usersystemrole/leder/1"]
    # The SP metadata is there at once (a key was made on the first save).
    assert browser.get("/t/adminby/auth/saml/metadata").status_code == 200
    # A login now goes to the SAML IdP.
    anonymous = app.test_client()
    assert anonymous.get("/t/adminby/auth/login").headers["Location"].startswith(idp.sso_url)


def test_unusable_metadata_is_refused_and_nothing_changes(app, make):
    tenant = make.tenant("badby", name="Badby Kommune")
    browser = admin_browser(app, make, tenant)
    reply = browser.post(
        "/t/badby/admin/saml",
        data={
            "metadata_xml": "<html>not metadata</html>",
            "name_attribute": "n",
            "email_attribute": "e",
            "unit_kind": "external_id",
            "required_loa": "Substantial",
        },
    )
    assert reply.status_code == 422
    assert "ikke brugbar metadata" in reply.get_data(as_text=True)
    with make.scope(tenant):
        assert current_settings() is None
