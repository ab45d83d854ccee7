"""The SAML front-end of the login flow (``web.auth.flow`` is the shared back half).

1. ``begin``: a signed AuthnRequest; its ID is kept as a ``PendingLogin`` (single use) and
   named in this browser's session, like an OIDC state.
2. ``accept`` (the IdP's cross-site POST to the ACS, which carries no session cookie under
   SameSite=Lax): the response is checked (``checks``), verified and decrypted (pysaml2), its
   InResponseTo must name an unused, unexpired pending login (so unsolicited responses are
   refused) and its assertion ID must be new (replay cache). The verified attributes are kept
   on the pending login with a one-time hand-off token.
3. ``finish`` (a same-site GET with the hand-off token, where the session cookie is sent):
   the attempt must have been started in this browser; then the shared provisioning.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from web.auth import flow, provisioning
from web.auth.models import PendingLogin, SeenAssertion, SsoSettings
from web.auth.saml import checks, keys, privileges, sp
from web.extensions import db

log = logging.getLogger(__name__)
HANDOFF_TTL = timedelta(minutes=2)
SAML_VERIFIER = "saml"  # PendingLogin.code_verifier of a SAML attempt (OIDC's is PKCE's)
LOA_ATTRIBUTE = "https://data.gov.dk/model/core/eid/loa"
NAME_ID_KEY = "saml_name_id"
LOA_KEY = "saml_loa"  # the level of assurance stated (attribute or AuthnContext)
# A test sign-in refused at the ACS: the cause, handed to the admin's browser like attributes.
TEST_REFUSAL_KEY = "test_refused"


def _refused(exc: checks.Refused) -> flow.LoginRefused:
    return flow.LoginRefused(exc.reason, exc.detail)


def begin(
    settings: SsoSettings, next_url: str | None, *, test_version_id: int | None = None
) -> str:
    if not settings.saml_metadata_xml:
        raise flow.LoginRefused("saml_no_metadata")
    try:
        request_id, url = sp.authn_redirect(settings, relay_state="")
    except keys.NoSigningKey as exc:
        raise flow.LoginRefused("saml_no_sp_key") from exc
    except Exception as exc:  # pysaml2 raises bare Exceptions for unusable metadata
        log.warning("SAML AuthnRequest failed: %r", exc)
        raise flow.LoginRefused("metadata_saml_unusable", type(exc).__name__) from exc
    flow.remember_pending(
        request_id,
        nonce="",
        code_verifier=SAML_VERIFIER,
        next_url=next_url,
        test_version_id=test_version_id,
    )
    return url


def accept(settings_for: Callable[[PendingLogin], SsoSettings], encoded: str | None) -> str:
    """Check the ACS POST; returns the hand-off token (the caller commits either way).

    ``settings_for(pending)``: the settings the response is checked with (the version in
    force, or the pending version a test sign-in tries). A refusal once the pending login is
    known carries it (``LoginRefused.pending``), so a test sign-in can report it."""
    if not encoded:
        raise flow.LoginRefused("saml_response_missing")
    if len(encoded) > checks.MAX_XML_BYTES * 4 // 3 + 4:
        raise flow.LoginRefused("saml_too_large", f"{len(encoded)} characters")
    try:
        xml = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise flow.LoginRefused("saml_malformed", "not base64") from exc
    try:
        root = checks.parse(xml)
        shape = checks.shape(root)
    except checks.Refused as exc:
        raise _refused(exc) from exc

    request_id = checks.in_response_to(root)
    if not request_id:
        raise flow.LoginRefused("saml_unsolicited", "no InResponseTo")
    pending = db.session.scalar(
        select(PendingLogin)
        .filter_by(state=request_id, code_verifier=SAML_VERIFIER)
        .with_for_update()
    )
    if pending is None:
        raise flow.LoginRefused("saml_unsolicited", "InResponseTo names no login of ours")
    if pending.consumed_at is not None:
        raise flow.LoginRefused("state_replayed")
    pending.consumed_at = datetime.now(UTC)  # burnt, whatever follows
    if flow.is_expired(pending):
        raise flow.LoginRefused("state_expired")
    try:
        return _accept(settings_for(pending), pending, encoded, root, shape, request_id)
    except flow.LoginRefused as exc:
        exc.pending = pending
        raise


def _accept(
    settings: SsoSettings, pending: PendingLogin, encoded: str, root, shape, request_id: str
) -> str:
    where = sp.endpoints()
    expected = checks.Expected(
        idp_entity_id=settings.issuer,
        sp_entity_id=where.entity_id,
        acs_url=where.acs,
        request_id=request_id,
    )
    try:
        checks.check_response(root, expected)
        if shape.assertion is not None:
            # Plaintext: refuse early with the precise reason (the signature comes next).
            checks.check_assertion(shape.assertion, expected)
        facts = _verified(settings, encoded, request_id, expected)
        loa = _check_loa(settings, facts)
        claims = _claims(settings, facts)
        claims[LOA_KEY] = loa
    except checks.Refused as exc:
        raise _refused(exc) from exc
    _remember_assertion(facts)
    return hand_off(pending, claims)


def hand_off(pending: PendingLogin, claims: dict[str, Any]) -> str:
    """Keep ``claims`` on the pending login for the same-site GET; its one-time token."""
    pending.claims = claims
    pending.nonce = secrets.token_urlsafe(32)
    db.session.flush()
    return pending.nonce


def _verified(
    settings: SsoSettings, encoded: str, request_id: str, expected: checks.Expected
) -> checks.Facts:
    """pysaml2 verifies and decrypts; then the decrypted document is checked again, and the
    assertion pysaml2 verified must be the one read."""
    try:
        with sp.client(settings) as client:
            response = client.parse_authn_request_response(
                encoded, sp.BINDING_HTTP_POST, outstanding={request_id: "/"}
            )
    except keys.NoSigningKey as exc:
        raise checks.Refused("saml_no_sp_key") from exc
    except Exception as exc:  # pysaml2 signals every refusal with its own exception types
        name = type(exc).__name__
        reason = "saml_signature" if "ign" in name or "Verification" in name else "saml_rejected"
        log.warning("pysaml2 refused the response: %s %s", name, str(exc)[:200])
        raise checks.Refused(reason, name) from exc
    if response is None or response.assertion is None:
        raise checks.Refused("saml_rejected", "no assertion")
    decrypted = response.xmlstr.encode() if isinstance(response.xmlstr, str) else response.xmlstr
    root = checks.unwrap_decrypted(checks.parse(decrypted))
    shape = checks.shape(root)
    if shape.assertion is None or not shape.is_assertion_signed:
        raise checks.Refused("saml_signature", "the assertion is not signed")
    checks.check_response(root, expected)
    facts = checks.check_assertion(shape.assertion, expected)
    if (
        response.assertion.id != facts.assertion_id
        or (response.assertion.subject.name_id.text or "").strip() != facts.name_id
    ):
        raise checks.Refused("saml_signature", "the verified assertion is not the one read")
    return facts


def _check_loa(settings: SsoSettings, facts: checks.Facts) -> str | None:
    stated = (facts.attributes.get(LOA_ATTRIBUTE) or [None])[0] or facts.authn_context
    if sp.loa_rank(stated) < sp.loa_rank(settings.saml_required_loa):
        raise checks.Refused("saml_loa_too_low", f"{stated!r} < {settings.saml_required_loa}")
    return stated


def _claims(settings: SsoSettings, facts: checks.Facts) -> dict[str, Any]:
    """The attributes as the claims the shared provisioning reads (one value: a string)."""
    claims: dict[str, Any] = {
        name: values[0] if len(values) == 1 else values
        for name, values in facts.attributes.items()
        if name
    }
    if settings.saml_privileges_attribute:
        granted, units = [], []
        for value in facts.attributes.get(settings.saml_privileges_attribute, []):
            some, where = privileges.decode(value)
            granted += some
            units += where
        claims[settings.saml_privileges_attribute] = granted
        claims[privileges.PRIVILEGE_UNITS] = units
    claims["sub"] = facts.name_id
    claims[NAME_ID_KEY] = facts.name_id
    return claims


def _remember_assertion(facts: checks.Facts) -> None:
    now = datetime.now(UTC)
    db.session.execute(delete(SeenAssertion).where(SeenAssertion.expires_at < now))
    if (
        db.session.scalar(select(SeenAssertion.id).filter_by(assertion_id=facts.assertion_id[:256]))
        is not None
    ):
        raise flow.LoginRefused("saml_replayed", facts.assertion_id[:100])
    try:
        with db.session.begin_nested():
            db.session.add(
                SeenAssertion(
                    assertion_id=facts.assertion_id[:256],
                    expires_at=max(facts.expires_at, now) + checks.CLOCK_SKEW,
                )
            )
    except IntegrityError as exc:  # the same assertion, posted twice at once
        raise flow.LoginRefused("saml_replayed", facts.assertion_id[:100]) from exc


def finish(
    settings: SsoSettings, handoff: str | None
) -> tuple[provisioning.Provisioned, str | None, str]:
    """The hand-off in the browser that started the login: (result, next_url, NameID)."""
    pending, claims = take_handoff(handoff)
    if pending.test_version_id is not None:  # never a sign-in
        raise flow.LoginRefused("state_mismatch", "a test sign-in")
    return flow.provision_from(settings, claims), pending.next_url, claims[NAME_ID_KEY]


def take_handoff(handoff: str | None) -> tuple[PendingLogin, dict[str, Any]]:
    """The pending login and its verified attributes, in the browser that started it."""
    if not handoff:
        raise flow.LoginRefused("state_missing")
    pending = db.session.scalar(
        select(PendingLogin).filter_by(nonce=handoff, code_verifier=SAML_VERIFIER).with_for_update()
    )
    if pending is None or pending.claims is None:
        raise flow.LoginRefused("state_replayed")
    claims = pending.claims
    pending.claims = None  # single use; and the attributes leave the server's table
    if not flow.issued_to_this_browser(pending.state):
        raise flow.LoginRefused("state_mismatch", "the login was started in another browser")
    if flow.aware(pending.consumed_at) < datetime.now(UTC) - HANDOFF_TTL:
        raise flow.LoginRefused("state_expired")
    return pending, claims


def idp_logout_name_id(settings: SsoSettings, raw_query: str) -> str:
    """The NameID of the IdP's signed LogoutRequest (HTTP-Redirect) meant for us."""
    try:
        root = checks.parse(sp.verified_redirect_message(settings, raw_query, "SAMLRequest"))
        if root.tag != checks.q(checks.SAMLP, "LogoutRequest"):
            raise checks.Refused("saml_malformed", "not a LogoutRequest")
        issuer = root.findtext(checks.q(checks.SAML, "Issuer")) or ""
        if issuer != settings.issuer:
            raise checks.Refused("saml_issuer", issuer[:200])
        if root.get("Destination") not in (None, sp.endpoints().slo):
            raise checks.Refused("saml_destination", (root.get("Destination") or "")[:200])
        name_id = (root.findtext(checks.q(checks.SAML, "NameID")) or "").strip()
        if not name_id:
            raise checks.Refused("saml_name_id", "no NameID")
    except checks.Refused as exc:
        raise _refused(exc) from exc
    return name_id
