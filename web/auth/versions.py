"""Versions of a tenant's SSO settings: a draft, its test sign-in, apply and rollback.

The row of ``SsoSettings`` is what every sign-in reads; it only ever changes to a version
that is known to work:

- ``save_draft``: the admin's SSO page (OpenID Connect or SAML) saves a *pending* version. It
  serves no sign-in; a newer draft replaces it (the older one is *discarded*).
- ``record_test``: a test sign-in with the pending version (``web.auth.trial``) ran the real
  flow; its outcome (the mapping, or the cause) is kept on the version.
- ``apply``: only a pending version whose last test passed is copied into ``SsoSettings``;
  the version that was in force becomes *superseded*.
- ``rollback``: the latest superseded version is in force again, in one action.
- ``record_in_force``: the operator's ``flask sso configure`` (and the demo seed) apply at
  once, as a version too, so that rollback has something to go back to.

Every change is in the audit log with the names of the fields that changed; the client
secret is named ("client_secret"), never shown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from web.audit.services import record
from web.auth.models import (
    OIDC_FIELDS,
    Protocol,
    SsoAlert,
    SsoSettings,
    SsoVersion,
    UnitClaimKind,
    VersionStatus,
)
from web.extensions import db
from web.users.models import User

# Every column of SsoSettings that says how a sign-in works.
FIELDS = (
    "protocol",
    *OIDC_FIELDS,
    "client_secret_encrypted",
    "is_plain_http_allowed",
    "saml_metadata_url",
    "saml_metadata_xml",
    "saml_required_loa",
    "saml_privileges_attribute",
)
# How a field is named in the audit log and on the page (never its value, for these).
PUBLIC_NAMES = {"client_secret_encrypted": "client_secret", "saml_metadata_xml": "saml_metadata"}


class VersionRefused(Exception):
    """The version cannot do that now; ``reason`` is a stable code (``explain`` words it)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def snapshot(settings: SsoSettings) -> dict[str, Any]:
    """The settings as JSON values (enums by value)."""
    values = {}
    for name in FIELDS:
        value = getattr(settings, name)
        values[name] = value.value if hasattr(value, "value") else value
    return values


def as_settings(version: SsoVersion) -> SsoSettings:
    """A copy of the settings of ``version`` that is never added to the session: what a test
    sign-in with a pending version uses."""
    values = dict(version.snapshot)
    values["protocol"] = Protocol(values.get("protocol") or Protocol.OIDC.value)
    values["unit_claim_kind"] = UnitClaimKind(
        values.get("unit_claim_kind") or UnitClaimKind.EXTERNAL_ID.value
    )
    settings = SsoSettings(**{k: v for k, v in values.items() if k in FIELDS})
    settings.tenant_id = version.tenant_id
    settings.version = version.number
    settings.draft_number = version.number
    return settings


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    if before is None:
        before = {}
    return [PUBLIC_NAMES.get(name, name) for name in FIELDS if before.get(name) != after.get(name)]


def current_settings() -> SsoSettings | None:
    return db.session.scalar(select(SsoSettings))


def all_versions() -> list[SsoVersion]:
    ensure_baseline()
    return list(db.session.scalars(select(SsoVersion).order_by(SsoVersion.number.desc())))


def in_force() -> SsoVersion | None:
    ensure_baseline()
    return db.session.scalar(select(SsoVersion).filter_by(status=VersionStatus.IN_FORCE))


def pending() -> SsoVersion | None:
    return db.session.scalar(select(SsoVersion).filter_by(status=VersionStatus.PENDING))


def previous() -> SsoVersion | None:
    """The version rollback restores: the one in force before the one in force now."""
    current = in_force()
    query = (
        select(SsoVersion)
        .filter_by(status=VersionStatus.SUPERSEDED)
        .where(SsoVersion.applied_at.is_not(None))
    )
    if current is not None:
        query = query.where(SsoVersion.id != current.id)
    return db.session.scalar(
        query.order_by(SsoVersion.applied_at.desc(), SsoVersion.number.desc()).limit(1)
    )


def get(version_id: int) -> SsoVersion | None:
    return db.session.get(SsoVersion, version_id)


def ensure_baseline() -> None:
    """Settings made before versions existed become version 1, in force (flushes)."""
    settings = current_settings()
    if settings is None or settings.id is None:
        return
    if (
        db.session.scalar(select(SsoVersion.id).filter_by(status=VersionStatus.IN_FORCE).limit(1))
        is not None
    ):
        return
    db.session.add(
        SsoVersion(
            number=_next_number(),
            status=VersionStatus.IN_FORCE,
            protocol=settings.protocol,
            source="existing",
            snapshot=snapshot(settings),
            changed=[],
            test_passed=False,
            applied_at=settings.updated_at or datetime.now(UTC),
        )
    )
    db.session.flush()


def _next_number() -> int:
    return (db.session.scalar(select(func.max(SsoVersion.number))) or 0) + 1


def _add_version(
    settings: SsoSettings,
    status: VersionStatus,
    values: dict,
    before: dict | None,
    actor: User | None,
    source: str,
    **applied: object,
) -> SsoVersion:
    """A new numbered version of ``values`` with the fields changed since ``before`` (flushes)."""
    version = SsoVersion(
        number=_next_number(),
        status=status,
        protocol=settings.protocol,
        source=source,
        snapshot=values,
        changed=changed_fields(before, values),
        created_by_id=actor.id if actor is not None else None,
        test_passed=False,
        **applied,
    )
    db.session.add(version)
    db.session.flush()
    return version


def draft_base() -> SsoSettings | None:
    """What the SSO page edits: the pending version if there is one, else the one in force
    (a copy, never the stored row)."""
    draft = pending()
    if draft is not None:
        return as_settings(draft)
    settings = current_settings()
    if settings is None:
        return None
    copy = SsoSettings(
        **snapshot(settings)
        | {"protocol": settings.protocol, "unit_claim_kind": settings.unit_claim_kind}
    )
    copy.tenant_id = settings.tenant_id
    copy.version = 0
    return copy


def save_draft(
    settings: SsoSettings, actor: User | None, source: str = "admin"
) -> SsoVersion | None:
    """``settings`` (a copy, see ``draft_base``) as the pending version; the pending one before
    it is discarded. None when it is the version in force again (nothing to test). Flushes."""
    ensure_baseline()
    values = snapshot(settings)
    current = in_force()
    before = dict(current.snapshot) if current is not None else None
    old = pending()
    if old is not None:
        old.status = VersionStatus.DISCARDED
    if before == values:
        db.session.flush()
        if old is not None:
            record("sso.version_discarded", actor=actor, number=old.number)
        return None
    version = _add_version(settings, VersionStatus.PENDING, values, before, actor, source)
    record(
        "sso.version_drafted",
        actor=actor,
        number=version.number,
        source=source,
        protocol=version.protocol.value,
        changed=version.changed,
        replaces=old.number if old is not None else None,
    )
    return version


def record_in_force(settings: SsoSettings, actor: User | None, source: str) -> SsoVersion:
    """The stored settings, changed directly (the operator, the demo), as the version in force.
    Flushes."""
    ensure_baseline()
    values = snapshot(settings)
    current = in_force()
    if current is not None and current.snapshot == values:
        return current
    before = dict(current.snapshot) if current is not None else None
    if current is not None:
        current.status = VersionStatus.SUPERSEDED
    version = _add_version(
        settings,
        VersionStatus.IN_FORCE,
        values,
        before,
        actor,
        source,
        applied_at=datetime.now(UTC),
        applied_by_id=actor.id if actor is not None else None,
    )
    record(
        "sso.version_applied",
        actor=actor,
        number=version.number,
        protocol=version.protocol.value,
        changed=version.changed,
        source=source,
    )
    return version


def follow_in_force(settings: SsoSettings) -> None:
    """The settings in force changed by themselves (a refreshed metadata document): the
    version in force follows, so that a rollback to it later brings today's copy back."""
    current = in_force()
    if current is not None:
        current.snapshot = snapshot(settings)


def draft_refreshed_metadata(xml: str) -> SsoVersion | None:
    """A refreshed metadata copy that was kept back, offered as a draft: the admin tests it
    with a real sign-in and applies it (never over an admin's own draft). Flushes."""
    current, draft = in_force(), pending()
    if current is None or (draft is not None and draft.source != "refresh"):
        return None
    if draft is not None and draft.snapshot.get("saml_metadata_xml") == xml:
        return draft
    copy = as_settings(current)
    copy.saml_metadata_xml = xml
    return save_draft(copy, None, source="refresh")


def record_test(
    version: SsoVersion, *, passed: bool, result: dict[str, Any], actor: User | None
) -> None:
    """The outcome of a test sign-in with ``version`` (flushes)."""
    version.tested_at = datetime.now(UTC)
    version.test_passed = passed and version.is_pending
    version.test_result = result
    db.session.flush()
    record(
        "sso.version_tested",
        actor=actor,
        number=version.number,
        passed=passed,
        reason=result.get("reason"),
        detail=result.get("detail"),
    )


def apply(version: SsoVersion, actor: User | None) -> SsoSettings:
    """Put a pending version whose test passed in force (flushes)."""
    if not version.is_pending:
        raise VersionRefused("not_pending")
    if not version.test_passed:
        raise VersionRefused("not_tested")
    before = in_force()
    settings = _put_in_force(version, actor)
    record(
        "sso.version_applied",
        actor=actor,
        number=version.number,
        protocol=version.protocol.value,
        source="admin",
        changed=changed_fields(before.snapshot if before else None, version.snapshot),
    )
    return settings


def rollback(actor: User | None) -> SsoVersion:
    """The version in force before the current one, in force again (flushes)."""
    current = in_force()
    earlier = previous()
    if earlier is None:
        raise VersionRefused("nothing_to_roll_back")
    _put_in_force(earlier, actor)
    record(
        "sso.version_rolled_back",
        actor=actor,
        number=earlier.number,
        left=current.number if current else None,
        protocol=earlier.protocol.value,
        changed=changed_fields(current.snapshot if current else None, earlier.snapshot),
    )
    return earlier


def discard(version: SsoVersion, actor: User | None) -> None:
    if not version.is_pending:
        raise VersionRefused("not_pending")
    version.status = VersionStatus.DISCARDED
    db.session.flush()
    record("sso.version_discarded", actor=actor, number=version.number)


def _put_in_force(version: SsoVersion, actor: User | None) -> SsoSettings:
    settings = current_settings()
    if settings is None:
        settings = SsoSettings(issuer="", client_id="", version=0)
        db.session.add(settings)
    copy = as_settings(version)
    for name in FIELDS:
        setattr(settings, name, getattr(copy, name))
    if settings.is_saml:
        settings.saml_metadata_fetched_at = datetime.now(UTC)
    settings.version = (settings.version or 0) + 1  # every process rebuilds its client
    current = in_force()
    if current is not None and current.id != version.id:
        current.status = VersionStatus.SUPERSEDED
    version.status = VersionStatus.IN_FORCE
    version.applied_at = datetime.now(UTC)
    version.applied_by_id = actor.id if actor is not None else None
    # What was wrong with the version before is no longer the question.
    for alert in db.session.scalars(select(SsoAlert).where(SsoAlert.cleared_at.is_(None))):
        alert.cleared_at = datetime.now(UTC)
    db.session.flush()
    return settings
