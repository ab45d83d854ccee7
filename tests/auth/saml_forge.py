"""A SAML identity provider in the test process whose responses each test shapes.

Responses are real XML signed (and encrypted) by ``xmlsec1``, the command-line tool, not by
the SP's library; a test can manipulate the document before or after signing, which is how
the signature-wrapping and other negative cases are built.
"""

from __future__ import annotations

import base64
import copy
import secrets
import subprocess
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from web.auth.saml.keys import generate

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
XENC = "http://www.w3.org/2001/04/xmlenc#"
NSMAP = {"samlp": SAMLP, "saml": SAML, "ds": DS, "md": MD, "xenc": XENC}
LOA = "https://data.gov.dk/concept/core/nsis/loa/"

SIGNATURE_TEMPLATE = f"""<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
<ds:Reference URI="#{{id}}"><ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>
</ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data>
<ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature>""".replace("\n", "")

ENCRYPTION_TEMPLATE = f"""<xenc:EncryptedData xmlns:xenc="{XENC}"
 Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod
 Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/><ds:KeyInfo xmlns:ds="{DS}">
<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>
<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>
<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>""".replace("\n", "")


def _id() -> str:
    return "_" + secrets.token_hex(16)


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pem_body(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if "-----" not in line)


def xmlsec(*args: str) -> None:
    result = subprocess.run(
        ["xmlsec1", *args], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]


def sign(document: bytes, element_id: str, key_pem: str, cert_pem: str) -> bytes:
    """Sign the element with ``element_id`` (its Signature template must be in it)."""
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "k.pem").write_text(key_pem)
        (base / "c.pem").write_text(cert_pem)
        (base / "in.xml").write_bytes(document)
        xmlsec(
            "--sign",
            "--privkey-pem",
            f"{base / 'k.pem'},{base / 'c.pem'}",
            "--id-attr:ID",
            f"{SAML}:Assertion",
            "--id-attr:ID",
            f"{SAMLP}:Response",
            "--node-id",
            element_id,
            "--output",
            str(base / "out.xml"),
            str(base / "in.xml"),
        )
        return (base / "out.xml").read_bytes()


def add_signature_template(element: etree._Element) -> None:
    """A Signature template right after the element's Issuer, where SAML wants it."""
    template = etree.fromstring(SIGNATURE_TEMPLATE.format(id=element.get("ID")))
    issuer = element.find(f"{{{SAML}}}Issuer")
    issuer.addnext(template)


def encrypt_assertion(document: bytes, sp_cert_pem: str) -> bytes:
    """Replace the Assertion by an EncryptedAssertion for the SP's certificate."""
    root = etree.fromstring(document)
    assertion = root.find(f"{{{SAML}}}Assertion")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "c.pem").write_text(sp_cert_pem)
        (base / "tmpl.xml").write_text(ENCRYPTION_TEMPLATE)
        (base / "data.xml").write_bytes(etree.tostring(assertion))
        xmlsec(
            "--encrypt",
            "--pubkey-cert-pem",
            str(base / "c.pem"),
            "--session-key",
            "aes-256",
            "--xml-data",
            str(base / "data.xml"),
            "--node-name",
            f"{SAML}:Assertion",
            "--output",
            str(base / "out.xml"),
            str(base / "tmpl.xml"),
        )
        encrypted_data = etree.fromstring((base / "out.xml").read_bytes())
    wrapper = etree.Element(f"{{{SAML}}}EncryptedAssertion", nsmap={"saml": SAML})
    wrapper.append(
        encrypted_data
        if encrypted_data.tag == f"{{{XENC}}}EncryptedData"
        else encrypted_data.find(f".//{{{XENC}}}EncryptedData")
    )
    assertion.addprevious(wrapper)
    root.remove(assertion)
    return etree.tostring(root)


@dataclass
class AuthnRequest:
    id: str
    destination: str
    acs: str
    issuer: str
    xml: bytes
    query: dict[str, str]


def read_request(redirect_url: str) -> AuthnRequest:
    """The AuthnRequest of an HTTP-Redirect binding URL."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(redirect_url).query).items()}
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15)
    root = etree.fromstring(xml)
    return AuthnRequest(
        id=root.get("ID"),
        destination=root.get("Destination"),
        acs=root.get("AssertionConsumerServiceURL"),
        issuer=root.findtext(f"{{{SAML}}}Issuer"),
        xml=xml,
        query=query,
    )


@dataclass
class Person:
    name_id: str
    attributes: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ForgeIdP:
    entity_id: str = "https://idp.forge.test/saml"
    sso_url: str = "https://idp.forge.test/sso"
    slo_url: str = "https://idp.forge.test/slo"

    def __post_init__(self) -> None:
        self.key_pem, self.cert_pem = generate("forge idp")
        self.published_certs: list[str] = [self.cert_pem]

    def rotate(self) -> None:
        """A new signing key, published alone (the old one is gone from the metadata)."""
        self.key_pem, self.cert_pem = generate("forge idp 2")
        self.published_certs = [self.cert_pem]

    def metadata(self) -> str:
        keys = "".join(
            f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
            f"{pem_body(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
            for pem in self.published_certs
        )
        return (
            f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="{DS}" '
            f'entityID="{self.entity_id}"><md:IDPSSODescriptor WantAuthnRequestsSigned="true"'
            f' protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{keys}'
            f'<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:'
            f'HTTP-Redirect" Location="{self.slo_url}"/>'
            f"<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
            f"</md:NameIDFormat><md:SingleSignOnService Binding="
            f'"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{self.sso_url}"/>'
            f"</md:IDPSSODescriptor></md:EntityDescriptor>"
        )

    def response_tree(
        self,
        request: AuthnRequest,
        person: Person,
        *,
        sp_entity_id: str,
        now: datetime | None = None,
        loa: str = "Substantial",
        lifetime: timedelta = timedelta(minutes=5),
    ) -> etree._Element:
        """An unsigned, correct response to ``request`` (tests then change what they need)."""
        now = now or datetime.now(UTC)
        response_id, assertion_id = _id(), _id()
        E = etree.SubElement
        root = etree.Element(f"{{{SAMLP}}}Response", nsmap={"samlp": SAMLP, "saml": SAML})
        root.attrib.update(
            {
                "ID": response_id,
                "Version": "2.0",
                "IssueInstant": instant(now),
                "Destination": request.acs,
                "InResponseTo": request.id,
            }
        )
        E(root, f"{{{SAML}}}Issuer").text = self.entity_id
        status = E(root, f"{{{SAMLP}}}Status")
        E(status, f"{{{SAMLP}}}StatusCode", Value="urn:oasis:names:tc:SAML:2.0:status:Success")
        assertion = E(
            root, f"{{{SAML}}}Assertion", ID=assertion_id, Version="2.0", IssueInstant=instant(now)
        )
        E(assertion, f"{{{SAML}}}Issuer").text = self.entity_id
        subject = E(assertion, f"{{{SAML}}}Subject")
        E(
            subject,
            f"{{{SAML}}}NameID",
            Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        ).text = person.name_id
        confirmation = E(
            subject,
            f"{{{SAML}}}SubjectConfirmation",
            Method="urn:oasis:names:tc:SAML:2.0:cm:bearer",
        )
        E(
            confirmation,
            f"{{{SAML}}}SubjectConfirmationData",
            Recipient=request.acs,
            InResponseTo=request.id,
            NotOnOrAfter=instant(now + lifetime),
        )
        conditions = E(
            assertion,
            f"{{{SAML}}}Conditions",
            NotBefore=instant(now - timedelta(seconds=30)),
            NotOnOrAfter=instant(now + lifetime),
        )
        restriction = E(conditions, f"{{{SAML}}}AudienceRestriction")
        E(restriction, f"{{{SAML}}}Audience").text = sp_entity_id
        authn = E(
            assertion, f"{{{SAML}}}AuthnStatement", AuthnInstant=instant(now), SessionIndex=_id()
        )
        context = E(authn, f"{{{SAML}}}AuthnContext")
        E(context, f"{{{SAML}}}AuthnContextClassRef").text = LOA + loa
        statement = E(assertion, f"{{{SAML}}}AttributeStatement")
        for name, values in {
            **person.attributes,
            "https://data.gov.dk/model/core/eid/loa": [loa],
        }.items():
            attribute = E(
                statement,
                f"{{{SAML}}}Attribute",
                Name=name,
                NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
            )
            for value in values:
                E(attribute, f"{{{SAML}}}AttributeValue").text = value
        return root

    def sign_tree(
        self,
        root: etree._Element,
        *,
        assertion: bool = True,
        response: bool = False,
        key_pem: str | None = None,
        cert_pem: str | None = None,
    ) -> bytes:
        key_pem, cert_pem = key_pem or self.key_pem, cert_pem or self.cert_pem
        root = copy.deepcopy(root)
        document = etree.tostring(root)
        if assertion:
            element = root.find(f"{{{SAML}}}Assertion")
            add_signature_template(element)
            document = sign(etree.tostring(root), element.get("ID"), key_pem, cert_pem)
            root = etree.fromstring(document)
        if response:
            add_signature_template(root)
            document = sign(etree.tostring(root), root.get("ID"), key_pem, cert_pem)
        return document

    def response(
        self,
        request: AuthnRequest,
        person: Person,
        *,
        sp_entity_id: str,
        encrypt_for: str | None = None,
        **kwargs,
    ) -> bytes:
        document = self.sign_tree(
            self.response_tree(request, person, sp_entity_id=sp_entity_id, **kwargs)
        )
        return encrypt_assertion(document, encrypt_for) if encrypt_for else document


def post_value(document: bytes) -> str:
    return base64.b64encode(document).decode()
