"""A tenant's SAML settings: the IdP's metadata (fetched or uploaded), mapping, assurance.

Bad input raises ``web.errors.InputError`` before anything is written. The metadata is
fetched through the guarded outbound client and re-read on a schedule (``tasks``), so an
IdP's key rotation reaches Aktørskab without anyone touching the settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_babel import gettext as _

from web import outbound
from web.audit.services import record
from web.auth.models import NSIS_LEVELS, ROLE_KEYS, Protocol, SsoSettings, UnitClaimKind
from web.auth.saml import checks, privileges
from web.auth.services import CLAIM_NAME_RE, current_settings
from web.errors import InputError
from web.extensions import db

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
MAX_METADATA_BYTES = outbound.MAX_BODY_BYTES
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
MAX_ATTRIBUTE_NAME = 100
CLAIMS_NS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
# Ready attribute mappings; ADFS and Entra ID send these claim URIs by default.
PRESETS = {
    "context-handler": privileges.CONTEXT_HANDLER,
    "adfs": {
        "name_claim": CLAIMS_NS + "name",
        "email_claim": CLAIMS_NS + "emailaddress",
        "roles_claim": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
    },
    "entra": {
        "name_claim": "http://schemas.microsoft.com/identity/claims/displayname",
        "email_claim": CLAIMS_NS + "emailaddress",
        "roles_claim": "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    },
}


@dataclass
class SamlInput:
    metadata_url: str | None = None
    metadata_xml: str | None = None  # uploaded; wins over the URL when given
    name_attribute: str = "https://data.gov.dk/model/core/eid/fullName"
    email_attribute: str = "https://data.gov.dk/model/core/eid/email"
    unit_attribute: str | None = None
    unit_kind: UnitClaimKind = UnitClaimKind.EXTERNAL_ID
    roles_attribute: str | None = None
    privileges_attribute: str | None = None
    role_values: dict[str, list[str]] = field(default_factory=dict)
    required_loa: str = "Substantial"
    is_enabled: bool = True


def idp_entity_id(xml: bytes) -> str:
    """The entityID of IdP metadata fit for login (signing key, HTTP-Redirect SSO)."""
    root = checks.parse(xml, max_bytes=MAX_METADATA_BYTES, max_depth=40)
    if root.tag == checks.q(MD, "EntitiesDescriptor"):
        entities = root.findall(checks.q(MD, "EntityDescriptor"))
        if len(entities) != 1:
            raise checks.Refused("metadata_saml_unusable", "not exactly one entity")
        root = entities[0]
    if root.tag != checks.q(MD, "EntityDescriptor") or not root.get("entityID"):
        raise checks.Refused("metadata_saml_unusable", "no EntityDescriptor")
    idp = root.find(checks.q(MD, "IDPSSODescriptor"))
    if idp is None:
        raise checks.Refused("metadata_saml_unusable", "no IDPSSODescriptor")
    if not any(
        s.get("Binding") == REDIRECT for s in idp.findall(checks.q(MD, "SingleSignOnService"))
    ):
        raise checks.Refused("metadata_saml_unusable", "no HTTP-Redirect sign-on service")
    if not any(
        k.get("use") in (None, "signing") for k in idp.findall(checks.q(MD, "KeyDescriptor"))
    ):
        raise checks.Refused("metadata_saml_unusable", "no signing key")
    return root.get("entityID")


def fetch_metadata(url: str) -> bytes:
    try:
        return outbound.get_bytes(url, accept="application/samlmetadata+xml, application/xml")
    except outbound.OutboundRefused as exc:
        raise checks.Refused("metadata_unreachable", exc.reason) from exc


def update_saml_settings(data: SamlInput, actor=None, *, draft: bool = False):
    """Validate, read the IdP's metadata, then save (flushes, never commits).

    ``draft``: the admin's SAML page; a pending version, as ``web.auth.services.
    update_settings`` explains (None when nothing differs from the version in force)."""
    from web.auth import versions

    errors: dict[str, str] = {}
    url = (data.metadata_url or "").strip() or None
    if url and (not url.startswith(("https://", "http://")) or len(url) > 500):
        errors["metadata_url"] = _("Skriv en fuld adresse, der begynder med https://.")
    if not url and not (data.metadata_xml or "").strip():
        errors["metadata_url"] = _(
            "Angiv adressen på login-tjenestens metadata, eller upload filen."
        )
    names = {}
    for name, required in (
        ("name_attribute", True),
        ("email_attribute", True),
        ("unit_attribute", False),
        ("roles_attribute", False),
        ("privileges_attribute", False),
    ):
        value = (getattr(data, name) or "").strip() or None
        if value is None and required:
            errors[name] = _("Angiv navnet på attributten.")
        elif value is not None and (
            len(value) > MAX_ATTRIBUTE_NAME or not CLAIM_NAME_RE.match(value[:100])
        ):
            errors[name] = _("Et attributnavn må kun indeholde bogstaver, tal og _ : . / -")
        names[name] = value
    if data.required_loa not in NSIS_LEVELS:
        errors["required_loa"] = _("Vælg et NSIS-sikringsniveau.")
    if errors:
        raise InputError(errors)

    raw = data.metadata_xml.encode() if (data.metadata_xml or "").strip() else None
    try:
        if raw is None:
            raw = fetch_metadata(url)
        entity_id = idp_entity_id(raw)
    except checks.Refused as exc:
        field_name = "metadata_url" if data.metadata_xml is None else "metadata_xml"
        message = (
            _(
                "Vi kunne ikke hente login-tjenestens metadata. Tjek adressen, og at "
                "login-tjenesten kan nås herfra."
            )
            if exc.reason == "metadata_unreachable"
            else _(
                "Filen er ikke brugbar metadata for en SAML-login-tjeneste (%(detail)s).",
                detail=exc.detail or exc.reason,
            )
        )
        raise InputError({field_name: message}) from exc

    settings = versions.draft_base() if draft else current_settings()
    if settings is None:
        settings = SsoSettings(issuer=entity_id, client_id="", version=0)
        if not draft:
            db.session.add(settings)
    settings.protocol = Protocol.SAML
    settings.issuer = entity_id
    settings.client_id = ""
    settings.client_secret_encrypted = None
    settings.saml_metadata_url = url
    settings.saml_metadata_xml = raw.decode()
    settings.saml_metadata_fetched_at = datetime.now(UTC)
    settings.saml_required_loa = data.required_loa
    settings.saml_privileges_attribute = names["privileges_attribute"]
    settings.name_claim = names["name_attribute"]
    settings.email_claim = names["email_attribute"]
    settings.unit_claim = names["unit_attribute"]
    settings.unit_claim_kind = UnitClaimKind(data.unit_kind)
    settings.roles_claim = names["roles_attribute"]
    settings.role_values = {
        k: list(dict.fromkeys(v.strip() for v in data.role_values.get(k, []) if v.strip()))
        for k in ROLE_KEYS
    }
    settings.is_enabled = bool(data.is_enabled)
    if draft:
        return versions.save_draft(settings, actor)
    settings.version = (settings.version or 0) + 1
    db.session.flush()
    record("sso.settings_updated", actor=actor, target=settings, changed=["saml"], issuer=entity_id)
    versions.record_in_force(settings, actor, "operator")
    return settings


def signing_certificates(xml: bytes | str) -> set[str]:
    """The IdP's signing certificates in its metadata (base64, whitespace dropped)."""
    root = checks.parse(
        xml.encode() if isinstance(xml, str) else xml, max_bytes=MAX_METADATA_BYTES, max_depth=40
    )
    found = set()
    for descriptor in root.iter(checks.q(MD, "IDPSSODescriptor")):
        for key in descriptor.findall(checks.q(MD, "KeyDescriptor")):
            if key.get("use") not in (None, "signing"):
                continue
            for cert in key.iter(checks.q(checks.DS, "X509Certificate")):
                found.add("".join((cert.text or "").split()))
    return found - {""}


def refresh_metadata(settings: SsoSettings) -> bool:
    """Read the IdP's metadata again (its keys may have rotated); True when it changed.

    A copy that would break sign-in is not applied: one that fails to load, names another
    entity, or trusts none of the signing keys the copy in force trusts (the IdP dropped the
    key that signs without announcing its successor first). The last good copy stays, and the
    tenant's admins are told (``web.auth.alerts``). An announced rollover — old and new key
    side by side — applies, so both are accepted until the old one leaves in a later copy."""
    from web.auth import alerts, versions

    if not settings.is_saml or not settings.saml_metadata_url:
        return False
    try:
        raw = fetch_metadata(settings.saml_metadata_url)
        entity_id = idp_entity_id(raw)
        if entity_id != settings.issuer:
            raise checks.Refused("metadata_issuer_mismatch", entity_id[:200])
        if settings.saml_metadata_xml and not (
            signing_certificates(raw) & signing_certificates(settings.saml_metadata_xml)
        ):
            raise checks.Refused(
                "metadata_signing_key_dropped",
                "no signing key of the copy in force is in the new copy",
            )
    except checks.Refused as exc:
        if exc.reason == "metadata_signing_key_dropped":
            versions.draft_refreshed_metadata(raw.decode())
        alerts.note(alerts.REFRESH_KEPT, exc.reason, exc.detail)
        record("sso.saml_metadata_kept", target=settings, reason=exc.reason, detail=exc.detail)
        raise
    settings.saml_metadata_fetched_at = datetime.now(UTC)
    alerts.clear(alerts.REFRESH_KEPT)
    if raw.decode() == settings.saml_metadata_xml:
        return False
    settings.saml_metadata_xml = raw.decode()
    settings.version += 1
    versions.follow_in_force(settings)
    record("sso.saml_metadata_refreshed", target=settings, issuer=entity_id)
    return True
