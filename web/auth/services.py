"""A tenant's SSO settings: validated, checked against the provider, then saved.

Bad input raises ``web.errors.InputError`` (field → translated message) before anything is written;
nothing about one tenant's settings touches another tenant.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from web.audit.services import record
from web.auth import crypto, oidc
from web.auth.models import (
    DEFAULT_SCOPES,
    OIDC_FIELDS,
    ROLE_KEYS,
    Protocol,
    SsoSettings,
    UnitClaimKind,
)
from web.errors import InputError
from web.extensions import db
from web.users.models import User

CLAIM_NAME_RE = re.compile(r"^[A-Za-z0-9_:./-]{1,100}$")
MAX_ROLE_VALUES = 50
MAX_ROLE_VALUE_LENGTH = 200


@dataclass
class SettingsInput:
    issuer: str
    client_id: str
    client_secret: str | None = None  # None: keep the stored secret
    discovery_url: str | None = None
    scopes: str = DEFAULT_SCOPES
    email_claim: str = "email"
    name_claim: str = "name"
    unit_claim: str | None = None
    unit_claim_kind: UnitClaimKind = UnitClaimKind.EXTERNAL_ID
    roles_claim: str | None = "groups"
    role_values: dict[str, list[str]] = field(default_factory=dict)
    is_enabled: bool = True
    is_plain_http_allowed: bool | None = None  # None: keep (the web form never sets it)

    @classmethod
    def from_settings(cls, settings: SsoSettings) -> SettingsInput:
        return cls(
            issuer=settings.issuer,
            client_id=settings.client_id,
            discovery_url=settings.discovery_url,
            scopes=settings.scopes,
            email_claim=settings.email_claim,
            name_claim=settings.name_claim,
            unit_claim=settings.unit_claim,
            unit_claim_kind=settings.unit_claim_kind,
            roles_claim=settings.roles_claim,
            role_values={k: settings.values_for(k) for k in ROLE_KEYS},
            is_enabled=settings.is_enabled,
        )


def current_settings() -> SsoSettings | None:
    return db.session.scalar(select(SsoSettings))


def parse_values(text: str) -> list[str]:
    """Role values typed one per line (or separated by commas)."""
    values = (v.strip() for v in re.split(r"[\n,]", text or ""))
    return list(dict.fromkeys(v for v in values if v))


def update_settings(
    data: SettingsInput,
    actor: User | None = None,
    *,
    check_provider: bool = True,
    draft: bool = False,
):
    """Validate ``data``, check the provider's metadata, then save (flushes, never commits).

    ``draft``: the admin's SSO page. The settings in force stay as they are; the result is a
    pending version (``web.auth.versions``) that applies only after a passed test sign-in
    (None when the page was saved with the settings in force). Without ``draft`` (the
    operator's command line, the demo) the settings apply at once, as a version too."""
    from web.auth import versions

    settings = versions.draft_base() if draft else current_settings()
    allow_http = (
        data.is_plain_http_allowed
        if data.is_plain_http_allowed is not None
        else (settings.is_plain_http_allowed if settings else False)
    )
    clean = _validated(data, allow_http)
    if check_provider and clean.is_enabled:
        _check_provider(clean)

    changed = []
    if settings is None:
        settings = SsoSettings(issuer=clean.issuer, client_id=clean.client_id, version=0)
        if not draft:
            db.session.add(settings)
        changed.append("created")
    for name in OIDC_FIELDS:
        if getattr(settings, name) != getattr(clean, name):
            setattr(settings, name, getattr(clean, name))
            changed.append(name)
    if settings.protocol != Protocol.OIDC:  # saving OpenID settings switches back to OIDC
        settings.protocol = Protocol.OIDC
        changed.append("protocol")
    if settings.is_plain_http_allowed != allow_http:
        settings.is_plain_http_allowed = allow_http
        changed.append("is_plain_http_allowed")
    if clean.client_secret is not None and (
        not settings.client_secret_encrypted
        or _readable(settings.client_secret_encrypted) != clean.client_secret
    ):
        settings.client_secret_encrypted = (
            crypto.encrypt(clean.client_secret) if clean.client_secret else None
        )
        changed.append("client_secret")
    if draft:
        return versions.save_draft(settings, actor)
    # A save that checked the provider moves the version even when nothing changed: each
    # process then rebuilds its client and reads discovery and the JWKS afresh (an admin's
    # way to say "look again"). Without the check (the demo seed) only a change does.
    if changed or (check_provider and clean.is_enabled):
        settings.version = (settings.version or 0) + 1
        if check_provider and clean.is_enabled:
            # The provider was just read and passed: the next sign-in reads its keys afresh
            # and keeps them as the first good copy (``web.auth.jwks``).
            settings.oidc_copy = None
        db.session.flush()
    if changed:
        record(
            "sso.settings_updated",
            actor=actor,
            target=settings,
            changed=changed,
            issuer=settings.issuer,
        )
        versions.record_in_force(settings, actor, "operator")
    return settings


def _readable(token: str) -> str | None:
    try:
        return crypto.decrypt(token)
    except crypto.SecretUnreadable:
        return None


def _validated(data: SettingsInput, allow_http: bool) -> SettingsInput:
    errors: dict[str, str] = {}
    issuer = (data.issuer or "").strip()
    problem = _url_problem(issuer, allow_http)
    if problem:
        errors["issuer"] = problem
    discovery = (data.discovery_url or "").strip() or None
    if discovery and (problem := _url_problem(discovery, allow_http, query_ok=True)):
        errors["discovery_url"] = problem
    client_id = (data.client_id or "").strip()
    if not client_id or len(client_id) > 255:
        errors["client_id"] = _("Angiv klient-id'et (højst 255 tegn).")
    scopes = " ".join(dict.fromkeys((data.scopes or "").split()))
    if "openid" not in scopes.split() or len(scopes) > 500:
        errors["scopes"] = _("Scopes skal indeholde openid.")
    claims = {}
    for name, required in (
        ("email_claim", True),
        ("name_claim", True),
        ("unit_claim", False),
        ("roles_claim", False),
    ):
        value = (getattr(data, name) or "").strip() or None
        if value is None and required:
            errors[name] = _("Angiv navnet på claimet.")
        elif value is not None and not CLAIM_NAME_RE.match(value):
            errors[name] = _("Et claim-navn må kun indeholde bogstaver, tal og _ : . / -")
        claims[name] = value
    role_values = {}
    for key in ROLE_KEYS:
        values = [v.strip() for v in data.role_values.get(key, []) if v.strip()]
        if len(values) > MAX_ROLE_VALUES or any(len(v) > MAX_ROLE_VALUE_LENGTH for v in values):
            errors[f"{key}_values"] = _(
                "Højst %(n)s værdier på hver højst %(len)s tegn.",
                n=MAX_ROLE_VALUES,
                len=MAX_ROLE_VALUE_LENGTH,
            )
        role_values[key] = list(dict.fromkeys(values))
    if any(role_values.values()) and not claims["roles_claim"]:
        errors["roles_claim"] = _("Angiv hvilket claim der bærer grupper eller roller.")
    if errors:
        raise InputError(errors)
    return SettingsInput(
        issuer=issuer,
        client_id=client_id,
        client_secret=data.client_secret,
        discovery_url=discovery,
        scopes=scopes,
        role_values=role_values,
        unit_claim_kind=UnitClaimKind(data.unit_claim_kind),
        is_enabled=bool(data.is_enabled),
        **claims,
    )


def _url_problem(url: str, allow_http: bool, query_ok: bool = False) -> str | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        host, parts = None, None
    if (
        not url
        or parts is None
        or not host
        or parts.username
        or parts.password
        or parts.fragment
        or (parts.query and not query_ok)
        or len(url) > 500
    ):
        return _(
            "Skriv en fuld adresse, der begynder med https://, uden # (og for udstederen uden ?)."
        )
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and (allow_http or _is_loopback(host)):
        return None
    return _(
        "Adressen skal begynde med https://. Kun en login-tjeneste på denne maskine "
        "(localhost) må bruge http://."
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_provider(clean: SettingsInput) -> None:
    url = clean.discovery_url or clean.issuer.rstrip("/") + "/.well-known/openid-configuration"
    field_name = "discovery_url" if clean.discovery_url else "issuer"
    try:
        oidc.fetch_metadata(url, clean.issuer)
    except oidc.ProviderUnavailable as exc:
        current_app.logger.info("SSO discovery failed for %s: %s", url, exc.reason)
        raise InputError(
            {
                field_name: _(
                    "Vi kunne ikke hente login-tjenestens oplysninger fra %(url)s. "
                    "Tjek adressen, og at login-tjenesten kan nås herfra.",
                    url=url,
                )
            }
        ) from exc
    except oidc.ProviderMisconfigured as exc:
        raise InputError({field_name: _provider_message(exc, clean.issuer)}) from exc


def _provider_message(exc: oidc.ProviderMisconfigured, issuer: str) -> str:
    if exc.reason == "metadata_issuer_mismatch":
        return _(
            "Login-tjenesten kalder sig ikke %(issuer)s. Udstederen skal stå præcis som "
            "i login-tjenestens oplysninger (også / til sidst).",
            issuer=issuer,
        )
    if exc.reason == "metadata_no_pkce":
        return _("Login-tjenesten understøtter ikke PKCE med S256, som Aktørskab kræver.")
    if exc.reason == "metadata_no_asymmetric_alg":
        return _(
            "Login-tjenesten signerer ikke id-tokens med en offentlig nøgle (fx RS256), "
            "som Aktørskab kræver."
        )
    return _(
        "Login-tjenestens oplysninger er ufuldstændige eller understøtter ikke "
        "authorization code flow."
    )
