"""SAML logins through the forge IdP (responses signed by xmlsec1): the happy paths."""

from __future__ import annotations

from tests.auth.flows import EMAIL, NAME, ROLES, UNIT, SamlFlow, audit_entries
from tests.auth.saml_forge import Person
from tests.auth.test_login import memberships_of, roles_of, user_by_subject

ULLA = Person(
    "ulla-persistent-1",
    {
        NAME: ["Ulla Første"],
        EMAIL: ["ulla@samlby.dk"],
        UNIT: ["team-sol"],
        ROLES: ["urn:role:leder", "urn:role:hr"],
    },
)


def test_signed_authn_request_asks_for_the_nsis_level(saml_flow: SamlFlow, forge_idp):
    request = saml_flow.start()
    assert request.destination == forge_idp.sso_url
    assert request.acs == "http://localhost/t/saml-by/auth/saml/acs"
    assert request.issuer == saml_flow.sp_entity_id
    assert request.query["SigAlg"] == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    assert request.query["Signature"]
    assert b"https://data.gov.dk/concept/core/nsis/loa/Substantial" in request.xml
    assert b'Comparison="minimum"' in request.xml


def test_login_provisions_user_units_and_roles(app, saml_flow: SamlFlow, forge_idp):
    request = saml_flow.start()
    reply = saml_flow.complete(
        forge_idp.response(request, ULLA, sp_entity_id=saml_flow.sp_entity_id)
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)[:800]
    assert reply.headers["Location"] == "/t/saml-by/"
    user = user_by_subject(app, saml_flow.tenant, "ulla-persistent-1")
    assert (user.display_name, user.email) == ("Ulla Første", "ulla@samlby.dk")
    assert saml_flow.signed_in_user_id() == user.id
    assert memberships_of(app, saml_flow.tenant, user) == {("team-sol", "leader", "sso")}
    assert roles_of(app, saml_flow.tenant, user) == {("hr", "sso")}
    events = [e.event for e in audit_entries(app, saml_flow.tenant)]
    assert "auth.user_created" in events and "auth.login" in events


def test_encrypted_assertion_is_decrypted(app, make, saml_flow: SamlFlow, forge_idp):
    from web.auth.saml import keys

    with make.scope(saml_flow.tenant):
        sp_cert = keys.signing().certificate_pem
    request = saml_flow.start()
    document = forge_idp.response(
        request, ULLA, sp_entity_id=saml_flow.sp_entity_id, encrypt_for=sp_cert
    )
    assert b"EncryptedAssertion" in document and b"Ulla" not in document
    reply = saml_flow.complete(document)
    assert reply.status_code == 302, reply.get_data(as_text=True)[:800]
    assert saml_flow.signed_in_user_id() is not None
