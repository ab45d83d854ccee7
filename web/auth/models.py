from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.extensions import db
from web.models import TenantScoped, Timestamped, Updated, UtcDateTime, enum_column

DEFAULT_SCOPES = "openid profile email"
ROLE_KEYS = ("leader", "hr", "hovedudvalg", "admin")


class Protocol(enum.StrEnum):
    """How the tenant's identity provider is spoken to."""

    OIDC = "oidc"
    SAML = "saml"


# NSIS levels of assurance as OIOSAML 3 names them (RequestedAuthnContext and the
# https://data.gov.dk/concept/core/nsis/loa attribute), weakest first.
NSIS_LEVELS = ("Low", "Substantial", "High")
NSIS_LOA_PREFIX = "https://data.gov.dk/concept/core/nsis/loa/"


class UnitClaimKind(enum.StrEnum):
    """How the unit claim names a unit: by its external id, or by its path of names."""

    EXTERNAL_ID = "external_id"
    PATH = "path"


# The OpenID Connect settings an admin edits, in the order they are shown and compared.
OIDC_FIELDS = (
    "issuer",
    "discovery_url",
    "client_id",
    "scopes",
    "email_claim",
    "name_claim",
    "unit_claim",
    "unit_claim_kind",
    "roles_claim",
    "role_values",
    "is_enabled",
)


class SsoSettings(TenantScoped, Timestamped, Updated, db.Model):
    """A tenant's OpenID Connect provider and how its claims map onto Aktørskab."""

    __tablename__ = "sso_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    # Empty: the issuer's /.well-known/openid-configuration.
    discovery_url: Mapped[str | None] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    # Fernet token (web.auth.secrets); never rendered, never logged.
    client_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(String(500), default=DEFAULT_SCOPES)
    email_claim: Mapped[str] = mapped_column(String(100), default="email")
    name_claim: Mapped[str] = mapped_column(String(100), default="name")
    unit_claim: Mapped[str | None] = mapped_column(String(100))
    unit_claim_kind: Mapped[UnitClaimKind] = mapped_column(
        enum_column(UnitClaimKind), default=UnitClaimKind.EXTERNAL_ID
    )
    roles_claim: Mapped[str | None] = mapped_column(String(100), default="groups")
    # {"leader": [...], "hr": [...], "hovedudvalg": [...], "admin": [...]}: claim values.
    role_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Plain http to a provider that is not on loopback; settable from the command line only.
    is_plain_http_allowed: Mapped[bool] = mapped_column(default=False)
    # Bumped on every change, so every process rebuilds its cached client.
    version: Mapped[int] = mapped_column(default=1)
    protocol: Mapped[Protocol] = mapped_column(enum_column(Protocol), default=Protocol.OIDC)
    # SAML: the IdP's metadata, fetched from the URL (refreshed on a schedule) or uploaded.
    # ``issuer`` holds the IdP's entityID.
    saml_metadata_url: Mapped[str | None] = mapped_column(String(500))
    saml_metadata_xml: Mapped[str | None] = mapped_column(Text)
    saml_metadata_fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    saml_required_loa: Mapped[str] = mapped_column(String(20), default="Substantial")
    # The attribute whose value is a base64 list of privileges with scopes (Context Handler's
    # dk:gov:saml:attribute:Privileges_intermediate); privileges map through ``role_values``,
    # organisational-unit scopes to units.
    saml_privileges_attribute: Mapped[str | None] = mapped_column(String(200))
    # OpenID Connect: the last good copy of the provider's discovery document and JWKS
    # (``web.auth.jwks``): {"discovery_url", "metadata", "jwks", "signing_key"}. Sign-ins
    # verify with it; a scheduled refresh replaces it only with a copy that keeps working.
    oidc_copy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    oidc_copy_fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def provider_copy(self) -> dict[str, Any] | None:
        """The stored copy, if it is the one of the provider these settings name now."""
        copy = self.oidc_copy
        if (
            not isinstance(copy, dict)
            or self.is_saml
            or copy.get("discovery_url") != self.discovery_document_url
            or (copy.get("metadata") or {}).get("issuer") != self.issuer
            or not (copy.get("jwks") or {}).get("keys")
        ):
            return None
        return copy

    @property
    def is_saml(self) -> bool:
        return self.protocol == Protocol.SAML

    @property
    def discovery_document_url(self) -> str:
        return self.discovery_url or (self.issuer.rstrip("/") + "/.well-known/openid-configuration")

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def values_for(self, role: str) -> list[str]:
        return list((self.role_values or {}).get(role) or [])

    # A copy built from a version (``web.auth.versions.as_settings``) names it here, so its
    # OpenID client is kept apart from the one in force; never set on the stored row.
    draft_number = None

    def __repr__(self) -> str:
        return f"<SsoSettings tenant={self.tenant_id} {self.issuer}>"


class PendingLogin(TenantScoped, Timestamped, db.Model):
    """An authorization request sent to the provider, until its callback arrives.

    Kept on the server (not only in the cookie) so that a state, once used, can never be used
    again, even by someone replaying an old cookie.
    """

    __tablename__ = "sso_pending_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(128), unique=True)
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_url: Mapped[str | None] = mapped_column(String(500))
    # SAML: the verified attributes between the IdP's cross-site POST (where the session
    # cookie is not sent) and the same-site GET that binds them to this browser; cleared there.
    claims: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A test sign-in of a pending version (``SsoVersion``) from the admin page: it is checked
    # with that version's settings and never provisions anyone or starts a session.
    test_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("sso_versions.id", ondelete="CASCADE")
    )
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RevokedSession(db.Model):
    """A session id ended by logout; refused until the session would have expired anyway."""

    __tablename__ = "revoked_sessions"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class SamlKey(TenantScoped, Timestamped, db.Model):
    """One of a tenant's SP key pairs; the private key Fernet-encrypted like the client secret.

    Rollover without downtime: a ``next`` key is published in the metadata (for signing and
    encryption) before it signs anything; ``activate`` makes it the signing key while the old
    one stays published and still decrypts; ``retire`` takes the old one out.
    """

    __tablename__ = "sso_saml_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    certificate_pem: Mapped[str] = mapped_column(Text)
    is_signing: Mapped[bool] = mapped_column(default=False)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SeenAssertion(TenantScoped, db.Model):
    """An assertion ID already consumed: the replay cache, kept until the assertion expires."""

    __tablename__ = "sso_saml_seen_assertions"
    __table_args__ = (UniqueConstraint("tenant_id", "assertion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assertion_id: Mapped[str] = mapped_column(String(256))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class VersionStatus(enum.StrEnum):
    """Where a version of a tenant's SSO settings stands."""

    PENDING = "pending"  # saved on the admin page; serves no sign-in until it passed a test
    IN_FORCE = "in_force"  # the one every sign-in uses (a copy of it is ``SsoSettings``)
    SUPERSEDED = "superseded"  # was in force; rollback restores the latest of these
    DISCARDED = "discarded"  # a draft replaced by a newer draft before it applied


class SsoVersion(TenantScoped, Timestamped, db.Model):
    """One version of a tenant's SSO settings (OpenID Connect or SAML), drafted or applied.

    ``snapshot`` holds every column of ``SsoSettings`` that says how sign-in works (the client
    secret as its Fernet token, the IdP metadata as XML). The row of ``SsoSettings`` stays the
    copy the sign-in reads; a version reaches it only by ``web.auth.versions.apply`` (after a
    passed test) or ``rollback``.
    """

    __tablename__ = "sso_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(enum_column(VersionStatus))
    protocol: Mapped[Protocol] = mapped_column(enum_column(Protocol))
    # admin (the SSO page), operator (flask sso), rollback, refresh (scheduled metadata)
    source: Mapped[str] = mapped_column(String(20))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Names of the fields that differ from the version in force when this one was made.
    changed: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tested_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    test_passed: Mapped[bool] = mapped_column(default=False)
    # The last test's outcome: the mapping (passed) or the cause (failed); no claim values.
    test_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    created_by = relationship("User", foreign_keys=[created_by_id])
    applied_by = relationship("User", foreign_keys=[applied_by_id])

    @property
    def is_pending(self) -> bool:
        return self.status == VersionStatus.PENDING


class SsoAlert(TenantScoped, db.Model):
    """Something that threatens the tenant's sign-in, for its admins (banner and e-mail).

    One row per kind: ``login_failures`` (sign-ins refused for a configuration reason, shown
    from ``ALERT_LOGIN_FAILURES`` within the hour), ``refresh_kept`` (a scheduled refresh of
    the provider's metadata was not applied and the last good copy kept).
    """

    __tablename__ = "sso_alerts"
    __table_args__ = (UniqueConstraint("tenant_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(String(300), default="")
    count: Mapped[int] = mapped_column(default=1)
    first_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
