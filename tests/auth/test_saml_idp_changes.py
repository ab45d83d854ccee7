"""IdP metadata from a URL (guarded client), refreshed by the task: key rotation; Context
Handler's privilege attribute; single logout."""

from __future__ import annotations

import base64
import zlib
from urllib.parse import parse_qs, urlsplit

from flask import Flask, Response
from lxml import etree

from tests.auth.flows import EMAIL, NAME, SamlFlow, configure_saml, refusals
from tests.auth.providers import serve
from tests.auth.saml_forge import ForgeIdP, Person
from tests.auth.test_login import memberships_of, roles_of, user_by_subject
from web.auth.saml import privileges
from web.auth.tasks import refresh_saml_metadata

PERSON = Person("rita-persistent", {NAME: ["Rita Rotation"], EMAIL: ["rita@samlby.dk"]})


def metadata_app(idp: ForgeIdP) -> Flask:
    app = Flask(__name__)
    app.add_url_rule(
        "/metadata",
        "metadata",
        lambda: Response(idp.metadata(), mimetype="application/samlmetadata+xml"),
    )
    return app


def login(saml_flow: SamlFlow, idp: ForgeIdP, person: Person = PERSON):
    request = saml_flow.start()
    return saml_flow.complete(idp.response(request, person, sp_entity_id=saml_flow.sp_entity_id))


def test_idp_key_rotation_reaches_us_through_the_refreshed_metadata(app, make, client):
    idp = ForgeIdP()
    tenant = make.tenant("roterby", name="Roterby Kommune")
    with serve(metadata_app(idp)) as url:
        configure_saml(make, tenant, None, metadata_url=f"{url}/metadata")
        saml_flow = SamlFlow(client, tenant)
        assert login(saml_flow, idp).status_code == 302
        client.post("/t/roterby/auth/logout")

        # An announced rollover: the new key published beside the old, which still signs.
        old = (idp.key_pem, idp.cert_pem)
        idp.rotate()
        new = (idp.key_pem, idp.cert_pem)
        idp.published_certs = [old[1], new[1]]
        idp.key_pem, idp.cert_pem = old
        assert refresh_saml_metadata(tenant.id) is True
        assert login(saml_flow, idp).status_code == 302
        client.post("/t/roterby/auth/logout")
        # The IdP signs with the new key: accepted at once (it was announced) ...
        idp.key_pem, idp.cert_pem = new
        assert login(saml_flow, idp).status_code == 302
        client.post("/t/roterby/auth/logout")
        # ... and the old one leaves the metadata in a later copy.
        idp.published_certs = [new[1]]
        assert refresh_saml_metadata(tenant.id) is True
        assert login(saml_flow, idp).status_code == 302
        assert refresh_saml_metadata(tenant.id) is False  # nothing changed since


def test_an_unannounced_rotation_waits_for_a_test_sign_in(app, make, client):
    """A copy that drops every key we trust is kept back (it might not be the IdP's) and
    offered as a draft; a test sign-in through the IdP proves it, and the admin applies it."""
    from tests.auth.flows import SP_ENTITY_ID, apply_version, pending_id, start_test
    from tests.auth.saml_forge import post_value, read_request
    from web.auth.session import session_payload
    from web.users.models import TenantRoleName

    idp = ForgeIdP()
    tenant = make.tenant("roterto", name="Roterto Kommune")
    admin = make.user(tenant, "Rolf Admin", roles=(TenantRoleName.ADMIN,))
    with serve(metadata_app(idp)) as url:
        configure_saml(make, tenant, None, metadata_url=f"{url}/metadata")
        saml_flow = SamlFlow(client, tenant)
        idp.rotate()
        assert login(saml_flow, idp).status_code == 400  # signed with a key we do not know
        assert refusals(app, tenant)[-1] == "saml_signature"
        assert refresh_saml_metadata(tenant.id) is False  # kept back

        browser = app.test_client()
        with browser.session_transaction() as session:
            session.update(session_payload(admin))
        assert 'id="sso-alert-refresh_kept"' in browser.get("/t/roterto/admin/").get_data(
            as_text=True
        )
        draft = pending_id(app, tenant)
        started = start_test(browser, tenant, draft)
        request = read_request(started.headers["Location"])
        posted = browser.post(
            "/t/roterto/auth/saml/acs",
            data={
                "SAMLResponse": post_value(
                    idp.response(request, PERSON, sp_entity_id=SP_ENTITY_ID.format(slug="roterto"))
                )
            },
        )
        result = browser.get(posted.headers["Location"]).get_data(as_text=True)
        assert 'id="test-passed"' in result, result[:2000]
        assert apply_version(browser, tenant, draft).status_code == 302
        assert login(saml_flow, idp).status_code == 302
        assert 'id="sso-alert-refresh_kept"' not in browser.get("/t/roterto/admin/").get_data(
            as_text=True
        )


def privilege_list(*groups: tuple[str, list[str], list[str]]) -> str:
    xml = [f'<bpp:PrivilegeList xmlns:bpp="{privileges.BPP}">']
    for scope, privs, units in groups:
        xml.append(f'<PrivilegeGroup Scope="{scope}">')
        xml += [f"<Privilege>{p}</Privilege>" for p in privs]
        xml += [
            f'<Constraint Name="{privileges.ORG_UNIT_CONSTRAINT}">{u}</Constraint>' for u in units
        ]
        xml.append("</PrivilegeGroup>")
    xml.append("</bpp:PrivilegeList>")
    return base64.b64encode("".join(xml).encode()).decode()


def test_context_handler_privileges_become_roles_and_units(app, make, client):
    idp = ForgeIdP(entity_id="https://n2adgangsstyring.eksterntest-stoettesystemerne.dk/")
    tenant = make.tenant("kombitby", name="Kombitby Kommune")
    make.unit(tenant, "Team Sol")
    from tests.auth.flows import rename_units

    rename_units(make, tenant, {"Team Sol": "5f6b-team-sol"})
    ch = privileges.CONTEXT_HANDLER
    configure_saml(
        make,
        tenant,
        idp.metadata(),
        name_attribute=ch["name_claim"],
        email_attribute=ch["email_claim"],
        unit_attribute=ch["unit_claim"],
        roles_attribute=ch["roles_claim"],
        privileges_attribute=ch["privileges_attribute"],
        role_values=ch["role_values"],
    )
    value = privilege_list(
        (
            "urn:dk:gov:saml:cvrNumberIdentifier:29189781",
            [privileges.ROLE_PREFIX + "leder/1", privileges.ROLE_PREFIX + "hr/1"],
            ["5f6b-team-sol", "unknown-unit"],
        )
    )
    person = Person(
        "CVR:29189781-RID:1234",
        {
            ch["name_claim"]: ["Karin Kombit"],
            ch["email_claim"]: ["karin@kombitby.dk"],
            ch["privileges_attribute"]: [value],
        },
    )
    reply = login(SamlFlow(client, tenant), idp, person)
    assert reply.status_code == 302, reply.get_data(as_text=True)[:300]
    user = user_by_subject(app, tenant, "CVR:29189781-RID:1234")
    assert user.display_name == "Karin Kombit"
    assert memberships_of(app, tenant, user) == {("5f6b-team-sol", "leader", "sso")}
    assert roles_of(app, tenant, user) == {("hr", "sso")}


def test_a_privilege_attribute_that_is_no_list_is_refused(app, make, client):
    idp = ForgeIdP()
    tenant = make.tenant("brokenby", name="Brokenby Kommune")
    ch = privileges.CONTEXT_HANDLER
    configure_saml(make, tenant, idp.metadata(), privileges_attribute=ch["privileges_attribute"])
    person = Person("x", {NAME: ["X"], ch["privileges_attribute"]: ["bm90IHhtbA=="]})
    assert login(SamlFlow(client, tenant), idp, person).status_code == 400
    assert refusals(app, tenant)[-1] == "saml_malformed"


def test_logout_sends_a_signed_logout_request_to_the_idp(app, saml_flow, forge_idp):
    assert login(saml_flow, forge_idp).status_code == 302
    reply = saml_flow.client.post(f"/t/{saml_flow.tenant.slug}/auth/logout")
    assert reply.status_code == 302
    location = reply.headers["Location"]
    assert location.startswith(forge_idp.slo_url + "?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["SigAlg"].endswith("rsa-sha256") and query["Signature"]
    request = etree.fromstring(zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15))
    assert request.tag.endswith("LogoutRequest")
    assert request.findtext("{urn:oasis:names:tc:SAML:2.0:assertion}NameID") == PERSON.name_id
    assert saml_flow.signed_in_user_id() is None


def idp_logout_query(
    idp: ForgeIdP, name_id: str, destination: str, *, key_pem: str | None = None
) -> str:
    """An HTTP-Redirect LogoutRequest from the IdP, signed over the query as sent."""
    from urllib.parse import quote_plus

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    xml = (
        f'<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_lr1" Version="2.0" '
        f'IssueInstant="2026-12-07T12:00:00Z" Destination="{destination}">'
        f"<saml:Issuer>{idp.entity_id}</saml:Issuer><saml:NameID>{name_id}</saml:NameID>"
        f"</samlp:LogoutRequest>"
    )
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    encoded = base64.b64encode(deflater.compress(xml.encode()) + deflater.flush()).decode()
    query = (
        f"SAMLRequest={quote_plus(encoded)}&SigAlg="
        f"{quote_plus('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}"
    )
    key = serialization.load_pem_private_key((key_pem or idp.key_pem).encode(), None)
    signature = key.sign(query.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{query}&Signature={quote_plus(base64.b64encode(signature).decode())}"


def test_idp_initiated_logout_ends_the_session(app, saml_flow, forge_idp):
    assert login(saml_flow, forge_idp).status_code == 302
    slo = f"/t/{saml_flow.tenant.slug}/auth/saml/slo"
    query = idp_logout_query(forge_idp, PERSON.name_id, "http://localhost" + slo)
    reply = saml_flow.client.get(f"{slo}?{query}")
    assert saml_flow.signed_in_user_id() is None
    # ...and the IdP gets its signed LogoutResponse.
    location = reply.headers["Location"]
    assert location.startswith(forge_idp.slo_url + "?SAMLResponse=")
    assert "Signature=" in location


def test_forged_idp_logout_request_is_refused(app, saml_flow, forge_idp):
    from web.auth.saml.keys import generate

    assert login(saml_flow, forge_idp).status_code == 302
    slo = f"/t/{saml_flow.tenant.slug}/auth/saml/slo"
    intruder, _ = generate("intruder")
    query = idp_logout_query(forge_idp, PERSON.name_id, "http://localhost" + slo, key_pem=intruder)
    reply = saml_flow.client.get(f"{slo}?{query}")
    assert reply.status_code == 400
    assert saml_flow.signed_in_user_id() is not None
    unsigned = query.split("&SigAlg=")[0]
    assert saml_flow.client.get(f"{slo}?{unsigned}").status_code == 400
    assert saml_flow.signed_in_user_id() is not None
