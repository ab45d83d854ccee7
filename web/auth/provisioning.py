"""Users from claims: created at the first login, refreshed at every login.

Name, e-mail, unit memberships and tenant-wide roles come from the claims, mapped by the
tenant's ``SsoSettings``. Whatever came from the claims last time (``source=sso``) is replaced;
memberships and roles granted in the app or by an import are kept. A user whose claims name
no known unit still gets in; the tenant admin finds them under "users to place".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select

from web.audit.services import record
from web.auth.models import SsoSettings, UnitClaimKind
from web.extensions import db
from web.inputs import email_address, one_line
from web.orgs.models import Membership, MembershipRole, OrgUnit
from web.users.models import RoleSource, TenantRole, TenantRoleName, User

MAX_NAME = 200
MAX_EMAIL = 320
TENANT_ROLES = {
    "hr": TenantRoleName.HR,
    "hovedudvalg": TenantRoleName.HOVEDUDVALG,
    "admin": TenantRoleName.ADMIN,
}


class MissingClaims(ValueError):
    def __init__(self, names: list[str]):
        super().__init__(", ".join(names))
        self.names = names


class UserDisabled(RuntimeError):
    def __init__(self, user: User):
        super().__init__(user.subject)
        self.user = user


@dataclass
class Identity:
    """What the claims say about a person, in Aktørskab's terms."""

    subject: str
    display_name: str
    email: str | None
    locale: str | None
    unit_refs: list[str] = field(default_factory=list)
    is_leader: bool = False
    roles: set[TenantRoleName] = field(default_factory=set)


@dataclass
class Provisioned:
    user: User
    created: bool
    units: list[OrgUnit]
    unknown_unit_refs: list[str]
    ambiguous: dict[str, list[OrgUnit]] = field(default_factory=dict)


def claim(claims: dict[str, Any], path: str | None) -> Any:
    """A claim by name; a dotted name reaches into objects (``realm_access.roles``)."""
    if not path:
        return None
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _strings(value: Any) -> list[str]:
    """A claim's values as strings on one line (``web.inputs.one_line``), blanks dropped."""
    if isinstance(value, str):
        values = [value]
    elif isinstance(value, list | tuple):
        values = [str(v) for v in value if isinstance(v, str | int) and not isinstance(v, bool)]
    else:
        return []
    return [v for v in map(one_line, values) if v]


def identity_from_claims(settings: SsoSettings, claims: dict[str, Any]) -> Identity:
    subject = claims.get("sub")
    # Names end up in mail headers (a reminder's To:) and on every page: one line, no controls.
    name = one_line(raw) if isinstance(raw := claim(claims, settings.name_claim), str) else ""
    if not name:
        given, family = (
            one_line(p) if isinstance(p, str) else ""
            for p in (claims.get("given_name"), claims.get("family_name"))
        )
        name = " ".join(p for p in (given, family) if p)
    missing = []
    # A subject is an opaque key: one with a control character is refused, not cleaned.
    if (
        not isinstance(subject, str)
        or not subject
        or len(subject) > 255
        or one_line(subject) != subject
    ):
        missing.append("sub")
    if not name:
        missing.append(settings.name_claim)
    if missing:
        raise MissingClaims(missing)

    email = claim(claims, settings.email_claim)
    email = email_address(email) if isinstance(email, str) else None
    locale = claims.get("locale")
    locale = (
        locale[:2].lower()
        if isinstance(locale, str) and locale[:2].lower() in ("da", "en")
        else None
    )

    values = set(_strings(claim(claims, settings.roles_claim)))
    roles = {role for key, role in TENANT_ROLES.items() if values & set(settings.values_for(key))}
    return Identity(
        subject=subject,
        display_name=name[:MAX_NAME].strip(),
        email=email,
        locale=locale,
        unit_refs=_strings(claim(claims, settings.unit_claim)),
        is_leader=bool(values & set(settings.values_for("leader"))),
        roles=roles,
    )


def resolve_units(
    refs: Iterable[str], kind: UnitClaimKind
) -> tuple[list[OrgUnit], list[str], dict[str, list[OrgUnit]]]:
    """The units the claim names (by external id or by path of names), the unknown refs, and
    the refs that name several units (a path through same-named sibling teams): those place
    the person nowhere, since guessing one would put them in the wrong team."""
    refs = list(dict.fromkeys(r.strip() for r in refs if r.strip()))
    if not refs:
        return [], [], {}
    if kind == UnitClaimKind.EXTERNAL_ID:
        found = {
            u.external_id: [u]
            for u in db.session.scalars(
                select(OrgUnit).where(OrgUnit.external_id.in_(refs), OrgUnit.archived_at.is_(None))
            )
        }
    else:
        found = units_by_path()
    units = [found[r][0] for r in refs if len(found.get(r, ())) == 1]
    ambiguous = {r: found[r] for r in refs if len(found.get(r, ())) > 1}
    return units, [r for r in refs if r not in found], ambiguous


def units_by_path() -> dict[str, list[OrgUnit]]:
    """Path of names ("Kommune/Område/Team 2") → the units at that path (several when sibling
    units share a name). Archived units are left out."""
    units = {u.id: u for u in db.session.scalars(select(OrgUnit))}
    paths: dict[int, str] = {}

    def path(unit: OrgUnit, depth: int = 0) -> str:
        if unit.id not in paths:
            parent = units.get(unit.parent_id) if unit.parent_id else None
            prefix = path(parent, depth + 1) + "/" if parent and depth < 50 else ""
            paths[unit.id] = prefix + unit.name
        return paths[unit.id]

    found: dict[str, list[OrgUnit]] = {}
    for unit in sorted(units.values(), key=lambda u: u.external_id):
        if unit.archived_at is None:
            found.setdefault(path(unit), []).append(unit)
    return found


def provision(identity: Identity, settings: SsoSettings) -> Provisioned:
    """Create or refresh the user behind ``identity``. Flushes; the caller commits."""
    user = db.session.scalar(select(User).filter_by(subject=identity.subject))
    created = user is None
    if user is None:
        user = User(subject=identity.subject, display_name=identity.display_name)
        db.session.add(user)
    elif not user.is_active:
        raise UserDisabled(user)
    user.display_name = identity.display_name
    user.email = identity.email
    if identity.locale:
        user.locale = identity.locale
    user.last_login_at = datetime.now(UTC)
    db.session.flush()

    units, unknown, ambiguous = resolve_units(identity.unit_refs, settings.unit_claim_kind)
    user.ambiguous_units = [
        {
            "ref": ref,
            "candidates": [
                {"id": u.id, "external_id": u.external_id, "path": ref} for u in candidates
            ],
        }
        for ref, candidates in ambiguous.items()
    ] or None
    _replace_memberships(
        user, units, MembershipRole.LEADER if identity.is_leader else MembershipRole.EMPLOYEE
    )
    _replace_roles(user, identity.roles)
    db.session.flush()
    return Provisioned(
        user=user, created=created, units=units, unknown_unit_refs=unknown, ambiguous=ambiguous
    )


def _replace_memberships(user: User, units: list[OrgUnit], role: MembershipRole) -> None:
    db.session.execute(
        delete(Membership).where(Membership.user_id == user.id, Membership.source == RoleSource.SSO)
    )
    kept = set(
        db.session.execute(
            select(Membership.unit_id, Membership.role).where(Membership.user_id == user.id)
        ).all()
    )
    for unit in units:
        # The same membership granted in the app or imported already says it.
        if (unit.id, role) not in kept:
            db.session.add(
                Membership(user_id=user.id, unit_id=unit.id, role=role, source=RoleSource.SSO)
            )


def _replace_roles(user: User, roles: set[TenantRoleName]) -> None:
    before = {r.role for r in user.roles}
    for held in [r for r in user.roles if r.source == RoleSource.SSO]:
        user.roles.remove(held)
    db.session.flush()
    for role in sorted(roles):
        user.roles.append(TenantRole(role=role, source=RoleSource.SSO))
    after = {r.role for r in user.roles}
    if after != before:
        record(
            "auth.roles_changed",
            actor=user,
            target=user,
            source=RoleSource.SSO.value,
            added=sorted(r.value for r in after - before),
            removed=sorted(r.value for r in before - after),
        )


def has_unit(user: User) -> bool:
    return (
        db.session.scalar(select(Membership.id).where(Membership.user_id == user.id).limit(1))
        is not None
    )


def unplaced_users() -> list[User]:
    """Active users with no unit at all: the tenant admin places them."""
    has_membership = select(Membership.id).where(Membership.user_id == User.id).exists()
    return list(
        db.session.scalars(
            select(User)
            .where(User.is_active.is_(True), ~has_membership)
            .order_by(User.display_name)
        )
    )
