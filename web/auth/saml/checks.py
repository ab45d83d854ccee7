"""What the product itself asserts about a SAML response, around pysaml2's verification.

pysaml2 (with xmlsec1) verifies signatures and decrypts; these checks make sure that the
element whose signature was verified is the one consumed, whatever the document's shape
(signature wrapping, XSW1–XSW8, works by adding a second, unsigned element for the consumer
to find while the signature still verifies on the original): a response holds exactly one
assertion, directly under the root; every ID is unique; every ``ds:Signature`` sits directly
in the element it signs and references exactly that element's ID. The document is parsed
without DTDs, entities or network access, within size and depth limits, and with no comments
or processing instructions at all (the 2018 class of bugs where ``<NameID>admin<!---->.evil
</NameID>`` is verified as one text and read as another). Then issuer, status, destination,
audience, recipient, times, bearer confirmation and InResponseTo are checked here as well, so
that a refusal says which rule failed.

Every failure is a ``Refused`` with a stable ``reason`` for the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lxml import etree

MAX_XML_BYTES = 256 * 1024
MAX_DEPTH = 24
CLOCK_SKEW = timedelta(seconds=90)

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
# OIOSAML 3 / NSIS: SHA-2 only (SHA-1 and MD5, which pysaml2 still accepts, are refused).
SIGNATURE_ALGORITHMS = frozenset(
    {
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
    }
)
DIGEST_ALGORITHMS = frozenset(
    {
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2001/04/xmldsig-more#sha384",
        "http://www.w3.org/2001/04/xmlenc#sha512",
    }
)
DTD_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class Refused(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def parse(xml: bytes, max_bytes: int = MAX_XML_BYTES, max_depth: int = MAX_DEPTH) -> etree._Element:
    """The document, parsed with every XML feature a response never needs turned off."""
    if len(xml) > max_bytes:
        raise Refused("saml_too_large", f"{len(xml)} bytes")
    if DTD_RE.search(xml):
        raise Refused("saml_dtd")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
        remove_blank_text=False,
    )
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise Refused("saml_malformed", str(exc)[:100]) from exc
    if root.getroottree().docinfo.doctype:
        raise Refused("saml_dtd")
    _check_depth_and_nodes(root, max_depth)
    return root


def _check_depth_and_nodes(root: etree._Element, max_depth: int) -> None:
    depth = 0
    for event, node in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        if event in ("comment", "pi") or not isinstance(node.tag, str):
            raise Refused("saml_comment", "comments and processing instructions are refused")
        if event == "start":
            depth += 1
            if depth > max_depth:
                raise Refused("saml_too_deep", f"more than {max_depth} levels")
        elif event == "end":
            depth -= 1
    # iterwalk does not report comments outside the root element.
    sibling = root.getprevious()
    while sibling is not None:
        raise Refused("saml_comment", "a node before the root")
    if root.getnext() is not None:
        raise Refused("saml_comment", "a node after the root")


def unwrap_decrypted(root: etree._Element) -> etree._Element:
    """pysaml2 leaves a decrypted assertion inside its EncryptedAssertion: put it in the
    wrapper's place, so that ``shape`` sees the document the assertion now stands in."""
    for wrapper in list(root.iter(q(SAML, "EncryptedAssertion"))):
        children = [c for c in wrapper if isinstance(c.tag, str)]
        if len(children) == 1 and children[0].tag == q(SAML, "Assertion"):
            wrapper.addprevious(children[0])
            wrapper.getparent().remove(wrapper)
    return root


@dataclass
class Shape:
    response_id: str
    assertion: etree._Element | None  # None: the assertion is encrypted
    is_response_signed: bool
    is_assertion_signed: bool


def shape(root: etree._Element) -> Shape:
    """One response, one assertion directly in it, signatures bound to their parents."""
    if root.tag != q(SAMLP, "Response"):
        raise Refused("saml_not_a_response", str(root.tag)[:100])
    ids: set[str] = set()
    for node in root.iter():
        value = node.get("ID")
        if value is None:
            continue
        if not value or value in ids:
            raise Refused("saml_duplicate_id", value[:100])
        ids.add(value)
    response_id = root.get("ID") or ""
    if not response_id:
        raise Refused("saml_malformed", "the response has no ID")

    assertions = list(root.iter(q(SAML, "Assertion")))
    encrypted = list(root.iter(q(SAML, "EncryptedAssertion")))
    if len(assertions) + len(encrypted) != 1:
        raise Refused(
            "saml_assertion_count", f"{len(assertions)} assertions, {len(encrypted)} encrypted"
        )
    holder = (assertions or encrypted)[0]
    if holder.getparent() is not root:
        raise Refused("saml_assertion_misplaced", "the assertion is not a child of the response")
    assertion = assertions[0] if assertions else None

    signed_parents = set()
    for signature in root.iter(q(DS, "Signature")):
        parent = signature.getparent()
        if parent is not root and parent is not assertion:
            raise Refused("saml_signature_misplaced", str(parent.tag)[:100])
        references = signature.findall(f"{q(DS, 'SignedInfo')}/{q(DS, 'Reference')}")
        if len(references) != 1 or references[0].get("URI") != "#" + (parent.get("ID") or ""):
            raise Refused(
                "saml_signature_reference", "the signature does not reference the element it is in"
            )
        method = signature.find(f"{q(DS, 'SignedInfo')}/{q(DS, 'SignatureMethod')}")
        digest = references[0].find(q(DS, "DigestMethod"))
        if (
            method is None
            or method.get("Algorithm") not in SIGNATURE_ALGORITHMS
            or digest is None
            or digest.get("Algorithm") not in DIGEST_ALGORITHMS
        ):
            raise Refused(
                "saml_weak_algorithm", (method.get("Algorithm") if method is not None else "")[:100]
            )
        if id(parent) in signed_parents:
            raise Refused("saml_signature_misplaced", "two signatures on one element")
        signed_parents.add(id(parent))
    return Shape(
        response_id=response_id,
        assertion=assertion,
        is_response_signed=id(root) in signed_parents,
        is_assertion_signed=assertion is not None and id(assertion) in signed_parents,
    )


@dataclass
class Expected:
    idp_entity_id: str
    sp_entity_id: str
    acs_url: str
    request_id: str
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Facts:
    assertion_id: str
    name_id: str
    expires_at: datetime
    authn_context: str | None
    attributes: dict[str, list[str]]


def in_response_to(root: etree._Element) -> str | None:
    return root.get("InResponseTo") if root.tag == q(SAMLP, "Response") else None


def check_response(root: etree._Element, expected: Expected) -> None:
    """The response envelope: status, destination, issuer, InResponseTo."""
    status = root.find(f"{q(SAMLP, 'Status')}/{q(SAMLP, 'StatusCode')}")
    if status is None or status.get("Value") != SUCCESS:
        inner = status.find(q(SAMLP, "StatusCode")) if status is not None else None
        code = inner if inner is not None else status
        raise Refused("saml_status", code.get("Value", "")[:200] if code is not None else "")
    if root.get("Destination") != expected.acs_url:
        raise Refused("saml_destination", (root.get("Destination") or "")[:200])
    issuer = root.find(q(SAML, "Issuer"))
    if issuer is not None and (issuer.text or "") != expected.idp_entity_id:
        raise Refused("saml_issuer", (issuer.text or "")[:200])
    if root.get("InResponseTo") != expected.request_id:
        raise Refused("saml_in_response_to", (root.get("InResponseTo") or "")[:100])


def check_assertion(assertion: etree._Element, expected: Expected) -> Facts:
    """The plaintext assertion: issuer, subject and its bearer confirmation, conditions."""
    now = expected.now
    issuer = assertion.find(q(SAML, "Issuer"))
    if issuer is None or (issuer.text or "") != expected.idp_entity_id:
        raise Refused("saml_issuer", (issuer.text if issuer is not None else "")[:200])
    subject = assertion.find(q(SAML, "Subject"))
    name_id = subject.find(q(SAML, "NameID")) if subject is not None else None
    if name_id is None or len(name_id) or not (name_id.text or "").strip():
        raise Refused("saml_name_id", "no plain NameID")

    confirmed_until = None
    for confirmation in subject.findall(q(SAML, "SubjectConfirmation")):
        if confirmation.get("Method") != BEARER:
            continue
        data = confirmation.find(q(SAML, "SubjectConfirmationData"))
        if data is None:
            continue
        if data.get("Recipient") != expected.acs_url:
            raise Refused("saml_recipient", (data.get("Recipient") or "")[:200])
        if data.get("InResponseTo") != expected.request_id:
            raise Refused("saml_in_response_to", "subject confirmation")
        until = _time(data.get("NotOnOrAfter"))
        if until is None:
            raise Refused("saml_bearer", "no NotOnOrAfter")
        if until <= now - CLOCK_SKEW:
            raise Refused("saml_expired", "subject confirmation")
        if (before := _time(data.get("NotBefore"))) and before > now + CLOCK_SKEW:
            raise Refused("saml_not_yet_valid", "subject confirmation")
        confirmed_until = until
        break
    if confirmed_until is None:
        raise Refused("saml_bearer", "no bearer subject confirmation")

    conditions = assertion.find(q(SAML, "Conditions"))
    if conditions is None:
        raise Refused("saml_audience", "no conditions")
    if (before := _time(conditions.get("NotBefore"))) and before > now + CLOCK_SKEW:
        raise Refused("saml_not_yet_valid", "conditions")
    until = _time(conditions.get("NotOnOrAfter"))
    if until is not None and until <= now - CLOCK_SKEW:
        raise Refused("saml_expired", "conditions")
    restrictions = conditions.findall(q(SAML, "AudienceRestriction"))
    if not restrictions:
        raise Refused("saml_audience", "no audience restriction")
    for restriction in restrictions:
        audiences = [a.text or "" for a in restriction.findall(q(SAML, "Audience"))]
        if expected.sp_entity_id not in audiences:
            raise Refused("saml_audience", ", ".join(audiences)[:200])

    authn = assertion.find(q(SAML, "AuthnStatement"))
    if authn is None:
        raise Refused("saml_no_authn_statement")
    class_ref = authn.find(f"{q(SAML, 'AuthnContext')}/{q(SAML, 'AuthnContextClassRef')}")
    attributes: dict[str, list[str]] = {}
    for attribute in assertion.iterfind(f"{q(SAML, 'AttributeStatement')}/{q(SAML, 'Attribute')}"):
        name = attribute.get("Name") or ""
        values = [_text(v) for v in attribute.findall(q(SAML, "AttributeValue"))]
        attributes.setdefault(name, []).extend(v for v in values if v is not None)
    return Facts(
        assertion_id=assertion.get("ID") or "",
        name_id=name_id.text.strip(),
        expires_at=min(t for t in (confirmed_until, until) if t is not None),
        authn_context=(class_ref.text or "").strip() if class_ref is not None else None,
        attributes=attributes,
    )


def _text(value: etree._Element) -> str | None:
    if len(value):
        return None  # structured values are not ours to read
    return value.text or ""


def _time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise Refused("saml_malformed", f"time {value[:40]!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
