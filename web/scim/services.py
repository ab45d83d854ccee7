"""SCIM in Aktørskab's terms: people, groups, and what a group's membership gives.

Hand-written on purpose: this is the mapping to units and memberships, the one part no
library knows. Everything else of the protocol (parsing, filters, PATCH, ETags, discovery,
errors) is scim2-server's (``web.scim.storage`` and ``web.scim.views``).

- A SCIM User is a ``User`` of the tenant: ``userName`` is its subject (the key SSO logins
  and CSV imports use too), ``externalId`` the provider's id for it.
- ``active: false`` and DELETE take the leaving path of complete imports
  (``web.orgs.services.leave``); a deleted user is also hidden from SCIM (404), and its row,
  answers and history stay. Creating the same ``userName`` again brings the row back.
- A SCIM Group is a ``ScimGroup``. The tenant admin says what its membership gives
  (``GroupTarget``): membership or leadership of a unit, a tenant role, or nothing. Those
  memberships and roles are provisioned ones (``source=import``), like a file's, and follow
  the group's members: added when someone joins, ended when they leave the group (or the
  organisation), recomputed when the admin changes the group's target.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select

from web.audit.services import record as audit
from web.errors import InputError
from web.extensions import db
from web.orgs.models import Membership, MembershipRole, OrgUnit
from web.orgs.services import PROVISIONED, set_provisioned_roles
from web.scim.models import GroupTarget, ScimGroup, ScimGroupMember
from web.users.models import TenantRoleName, User

UnitPair = tuple[int, MembershipRole]


def _gives(group: ScimGroup) -> tuple[set[UnitPair], set[TenantRoleName]]:
    if group.target == GroupTarget.UNIT and group.unit_id is not None:
        return {(group.unit_id, MembershipRole.EMPLOYEE)}, set()
    if group.target == GroupTarget.LEADER and group.unit_id is not None:
        return {(group.unit_id, MembershipRole.LEADER)}, set()
    if group.target == GroupTarget.ROLE and group.role is not None:
        return set(), {group.role}
    return set(), set()


def apply_groups(
    user_ids: Iterable[int], *, also: tuple[set[UnitPair], set[TenantRoleName]] = (set(), set())
) -> None:
    """Bring the group-given memberships and roles of these users in line with their groups.

    Only what some group gives (or gave, ``also``) is touched, so memberships from a file or
    granted in the app, in units no group maps to, are left alone. Inactive users get none.
    """
    ids = set(user_ids)
    if not ids:
        return
    db.session.flush()
    groups = list(db.session.scalars(select(ScimGroup)))
    managed_units, managed_roles = set(also[0]), set(also[1])
    given: dict[int, tuple[set[UnitPair], set[TenantRoleName]]] = {i: (set(), set()) for i in ids}
    for group in groups:
        units, roles = _gives(group)
        managed_units |= units
        managed_roles |= roles
        for member in group.members:
            if member.user_id in given:
                given[member.user_id][0].update(units)
                given[member.user_id][1].update(roles)
    if not managed_units and not managed_roles:
        return
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    for user_id, (units, roles) in given.items():
        user = users.get(user_id)
        if user is None:
            continue
        if not user.is_active:
            units, roles = set(), set()
        held = {
            (m.unit_id, m.role): m
            for m in db.session.scalars(
                select(Membership).where(
                    Membership.user_id == user_id, Membership.source == PROVISIONED
                )
            )
            if (m.unit_id, m.role) in managed_units
        }
        for pair, membership in held.items():
            if pair not in units:
                db.session.delete(membership)
        for unit_id, role in sorted(units - set(held)):
            db.session.add(
                Membership(user_id=user_id, unit_id=unit_id, role=role, source=PROVISIONED)
            )
        set_provisioned_roles(user, roles, "scim", managed=managed_roles)
    db.session.flush()


def set_members(group: ScimGroup, user_ids: set[int]) -> None:
    """The group's members become ``user_ids``; what the group gives follows."""
    current = {m.user_id for m in group.members}
    for member in [m for m in group.members if m.user_id not in user_ids]:
        group.members.remove(member)
    for user_id in sorted(user_ids - current):
        group.members.append(ScimGroupMember(user_id=user_id))
    apply_groups(current ^ user_ids)


def set_target(
    group: ScimGroup,
    target: GroupTarget,
    unit: OrgUnit | None,
    role: TenantRoleName | None,
    actor: User | None,
) -> None:
    """The tenant admin says what membership of ``group`` gives; its members follow at once.
    Raises ``InputError`` (``target``) when the target lacks its unit or role."""
    if target in (GroupTarget.UNIT, GroupTarget.LEADER) and unit is None:
        raise InputError({"target": _("Vælg den enhed, gruppen svarer til.")})
    if target == GroupTarget.ROLE and role is None:
        raise InputError({"target": _("Vælg den rolle, gruppen giver.")})
    old = _gives(group)
    group.target = target
    group.unit_id = unit.id if unit is not None and target != GroupTarget.ROLE else None
    group.role = role if target == GroupTarget.ROLE else None
    group.version += 1
    db.session.flush()
    apply_groups({m.user_id for m in group.members}, also=old)
    audit(
        "scim.group_mapped",
        actor=actor,
        target=group,
        group=group.display_name,
        to=target.value,
        unit=unit.external_id if unit is not None else None,
        role=role.value if role is not None else None,
    )


def delete_group(group: ScimGroup) -> None:
    old = _gives(group)
    members = {m.user_id for m in group.members}
    db.session.delete(group)
    db.session.flush()
    apply_groups(members, also=old)


def groups() -> list[ScimGroup]:
    return list(db.session.scalars(select(ScimGroup).order_by(ScimGroup.display_name)))
