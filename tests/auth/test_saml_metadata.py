"""The SP metadata per tenant (schema-valid, signed), and SP key rollover without downtime."""

from __future__ import annotations

import base64
import subprocess
from importlib.resources import files
from urllib.parse import urlsplit

import saml2.data.schemas
import xmlschema
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from tests.auth.flows import SamlFlow
from tests.auth.saml_forge import DS, MD, pem_body
from tests.auth.test_saml_login import ULLA
from web.auth.saml import keys


def metadata_schema() -> xmlschema.XMLSchema:
    """The OASIS SAML 2.0 metadata schema (the copies pysaml2 ships), offline."""
    folder = files(saml2.data.schemas)
    locations = {
        "http://www.w3.org/XML/1998/namespace": str(folder / "xml.xsd"),
        "http://www.w3.org/2001/04/xmlenc#": str(folder / "xenc-schema.xsd"),
        "http://www.w3.org/2000/09/xmldsig#": str(folder / "xmldsig-core-schema.xsd"),
        "urn:oasis:names:tc:SAML:2.0:assertion": str(folder / "saml-schema-assertion-2.0.xsd"),
        "urn:oasis:names:tc:SAML:2.0:metadata": str(folder / "saml-schema-metadata-2.0.xsd"),
    }
    source = str(folder / "saml-schema-metadata-2.0.xsd")
    return xmlschema.XMLSchema(
        source, locations=locations, base_url=source, allow="sandbox", use_fallback=False
    )


def sp_metadata(saml_flow: SamlFlow) -> bytes:
    reply = saml_flow.client.get(f"/t/{saml_flow.tenant.slug}/auth/saml/metadata")
    assert reply.status_code == 200
    assert reply.mimetype == "application/samlmetadata+xml"
    return reply.data


def published_certificates(document: bytes) -> list[str]:
    root = etree.fromstring(document)
    return [
        "".join(c.text.split())
        for c in root.iterfind(
            f".//{{{MD}}}SPSSODescriptor/{{{MD}}}KeyDescriptor//{{{DS}}}X509Certificate"
        )
    ]


def verify_with_xmlsec(document: bytes, cert_pem: str, tmp_path) -> None:
    (tmp_path / "m.xml").write_bytes(document)
    (tmp_path / "c.pem").write_text(cert_pem)
    result = subprocess.run(
        [
            "xmlsec1",
            "--verify",
            "--pubkey-cert-pem",
            str(tmp_path / "c.pem"),
            "--id-attr:ID",
            f"{MD}:EntityDescriptor",
            str(tmp_path / "m.xml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_metadata_is_schema_valid_signed_and_complete(saml_flow, make, tmp_path):
    document = sp_metadata(saml_flow)
    metadata_schema().validate(document.decode())
    root = etree.fromstring(document)
    assert root.get("entityID") == saml_flow.sp_entity_id
    sp = root.find(f"{{{MD}}}SPSSODescriptor")
    assert sp.get("AuthnRequestsSigned") == "true" and sp.get("WantAssertionsSigned") == "true"
    acs = sp.find(f"{{{MD}}}AssertionConsumerService")
    assert acs.get("Location") == "http://localhost/t/saml-by/auth/saml/acs"
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    slo = sp.find(f"{{{MD}}}SingleLogoutService")
    assert slo.get("Location") == "http://localhost/t/saml-by/auth/saml/slo"
    uses = {k.get("use") for k in sp.findall(f"{{{MD}}}KeyDescriptor")}
    assert uses == {"signing", "encryption"}
    with make.scope(saml_flow.tenant):
        cert = keys.signing().certificate_pem
    verify_with_xmlsec(document, cert, tmp_path)


def test_metadata_is_per_tenant(saml_flow, make, client, forge_idp):
    from tests.auth.flows import configure_saml

    other = make.tenant("anden-by", name="Anden Kommune")
    configure_saml(make, other, forge_idp.metadata())
    mine = sp_metadata(saml_flow)
    theirs = client.get("/t/anden-by/auth/saml/metadata").data
    assert (
        etree.fromstring(theirs).get("entityID") == "http://localhost/t/anden-by/auth/saml/metadata"
    )
    assert set(published_certificates(mine)).isdisjoint(published_certificates(theirs))


def verify_redirect_signature(url: str, cert_pem: str) -> bool:
    """The HTTP-Redirect binding's signature over the raw query (SAML bindings 3.4.4.1)."""
    raw = dict(part.split("=", 1) for part in urlsplit(url).query.split("&"))
    signed = "&".join(f"{k}={raw[k]}" for k in ("SAMLRequest", "RelayState", "SigAlg") if k in raw)
    from urllib.parse import unquote

    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    try:
        cert.public_key().verify(
            base64.b64decode(unquote(raw["Signature"])),
            signed.encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except Exception:
        return False
    return True


def login_url(saml_flow) -> str:
    reply = saml_flow.client.get(f"/t/{saml_flow.tenant.slug}/auth/login")
    return reply.headers["Location"]


def test_key_rollover_publishes_two_keys_and_never_breaks_login(
    app, saml_flow, make, forge_idp, tmp_path
):
    with make.scope(saml_flow.tenant):
        old = keys.signing()
        old_id, old_cert = old.id, old.certificate_pem
        new = keys.create("next")
        new_id, new_cert = new.id, new.certificate_pem
        from web.extensions import db

        db.session.commit()
    # 1. Both published; the old one still signs.
    published = published_certificates(sp_metadata(saml_flow))
    assert pem_body(old_cert) in published and pem_body(new_cert) in published
    assert verify_redirect_signature(login_url(saml_flow), old_cert)

    # 2. Activate the new key: it signs requests and metadata; an IdP still encrypting for
    #    the old certificate (its metadata not yet refreshed) still gets its users in.
    with make.scope(saml_flow.tenant):
        keys.activate(new_id)
        from web.extensions import db

        db.session.commit()
    assert verify_redirect_signature(login_url(saml_flow), new_cert)
    assert not verify_redirect_signature(login_url(saml_flow), old_cert)
    verify_with_xmlsec(sp_metadata(saml_flow), new_cert, tmp_path)
    request = saml_flow.start()
    reply = saml_flow.complete(
        forge_idp.response(request, ULLA, sp_entity_id=saml_flow.sp_entity_id, encrypt_for=old_cert)
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)[:300]
    saml_flow.client.post(f"/t/{saml_flow.tenant.slug}/auth/logout")

    # 3. Retire the old key: only the new one is published, and logins go on.
    with make.scope(saml_flow.tenant):
        keys.retire(old_id)
        from web.extensions import db

        db.session.commit()
    assert published_certificates(sp_metadata(saml_flow)) == [pem_body(new_cert)] * 2
    request = saml_flow.start()
    reply = saml_flow.complete(
        forge_idp.response(request, ULLA, sp_entity_id=saml_flow.sp_entity_id, encrypt_for=new_cert)
    )
    assert reply.status_code == 302


def test_keys_are_encrypted_at_rest(saml_flow, make):
    with make.scope(saml_flow.tenant):
        key = keys.signing()
        assert "PRIVATE KEY" not in key.private_key_encrypted
        assert key.private_key_encrypted.startswith("gAAAA")  # a Fernet token


def test_cli_imports_an_external_key_pair_and_rolls_over(app, saml_flow, make, tmp_path):
    """An OCES3-like pair from outside: imported as the next key, then activated."""
    from web.auth.saml.keys import generate

    key_pem, cert_pem = generate("FOCES system certificate")
    (tmp_path / "k.pem").write_text(key_pem)
    (tmp_path / "c.pem").write_text(cert_pem)
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "sso",
            "saml-keys",
            saml_flow.tenant.slug,
            "import",
            "--key-file",
            str(tmp_path / "k.pem"),
            "--cert-file",
            str(tmp_path / "c.pem"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "published, not yet signing" in result.output
    assert pem_body(cert_pem) in published_certificates(sp_metadata(saml_flow))
    new_id = int(result.output.split()[1])
    result = runner.invoke(
        args=["sso", "saml-keys", saml_flow.tenant.slug, "activate", str(new_id)]
    )
    assert result.exit_code == 0, result.output
    assert verify_redirect_signature(login_url(saml_flow), cert_pem)

    # A certificate that is not the key's is refused, and nothing is stored.
    _, other_cert = generate("other")
    (tmp_path / "c2.pem").write_text(other_cert)
    result = runner.invoke(
        args=[
            "sso",
            "saml-keys",
            saml_flow.tenant.slug,
            "import",
            "--key-file",
            str(tmp_path / "k.pem"),
            "--cert-file",
            str(tmp_path / "c2.pem"),
        ]
    )
    assert result.exit_code != 0 and "not the key's" in result.output
    assert pem_body(other_cert) not in published_certificates(sp_metadata(saml_flow))
