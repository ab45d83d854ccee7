"""Who may do what: named permissions checked in one place.

A view loads its objects (``tenancy.get_or_404``), then calls ``require(user, PERMISSION, obj)``,
then acts. Services receive the acting user as an argument and may call ``can`` for rules that
depend on data. Tenancy is already enforced by the scoping mechanism; these rules decide within
a tenant:

- an employee sees the cycles of the units they belong to, their own private answers and their
  team's shared answers (an anonymous answer never with its author);
- a leader manages the cycles of the units they lead and of every unit below them;
- HR sees every unit and campaign of the tenant, but answers only as aggregates: never a
  private answer, never the author of an anonymous one;
- Hovedudvalg members read reports; tenant admins configure the tenant (a leader chooses the
  Teams channel of the units they lead).
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from flask import abort, g, has_app_context
from sqlalchemy import select

from web.extensions import db
from web.orgs.models import Membership, MembershipRole
from web.orgs.services import descendant_ids
from web.users.models import TenantRoleName, User


class Permission(enum.StrEnum):
    VIEW_CYCLE = "view_cycle"
    MANAGE_CYCLE = "manage_cycle"  # move phases, edit dates, record conclusions and actions
    FACILITATE = "facilitate"  # run the meeting: see shared answers, record conclusions
    CONTRIBUTE = "contribute"  # answer the prompts of a cycle
    VIEW_TEAM_ANSWERS = "view_team_answers"
    START_CYCLE = "start_cycle"  # for a unit (obj: OrgUnit id)
    START_CAMPAIGN = "start_campaign"
    MANAGE_TEMPLATES = "manage_templates"
    VIEW_ALL_UNITS = "view_all_units"
    CURATE_COLLECTIONS = "curate_collections"
    READ_REPORTS = "read_reports"
    ADMINISTER = "administer"
    LEAD_UNITS = "lead_units"  # the leader dashboard: leads at least one unit
    UPDATE_ACTION = "update_action"  # obj: Action; set its status
    RECORD_FOLLOW_UP = "record_follow_up"  # obj: Action; what happened, what we learned
    RECORD_EXAMPLE = "record_example"  # obj: OrgUnit id
    VIEW_EXAMPLE = "view_example"  # obj: Example
    EDIT_EXAMPLE = "edit_example"  # obj: Example
    MANAGE_UNIT_TEAMS = "manage_unit_teams"  # obj: OrgUnit id; the unit's own Teams channel


def has_role(user: User | None, *roles: TenantRoleName) -> bool:
    return user is not None and any(user.has_role(r) for r in roles)


def _memberships(user: User) -> list[tuple[int, MembershipRole]]:
    """The user's (unit id, role) pairs, loaded once per request or task."""
    cache = g.setdefault("_memberships", {}) if has_app_context() else {}
    if user.id not in cache:
        cache[user.id] = db.session.execute(
            select(Membership.unit_id, Membership.role).where(Membership.user_id == user.id)
        ).all()
    return cache[user.id]


def remember_memberships(user: User, pairs: list[tuple[int, MembershipRole]]) -> None:
    """Prime ``_memberships`` with pairs loaded together with the user (``load_user``)."""
    if has_app_context():
        g.setdefault("_memberships", {})[user.id] = pairs


def member_unit_ids(user: User) -> set[int]:
    """Units the user belongs to, as employee or leader."""
    return {unit_id for unit_id, _ in _memberships(user)}


def _directly_led(user: User) -> set[int]:
    return {u for u, role in _memberships(user) if role == MembershipRole.LEADER}


def directly_led_unit_ids(user: User) -> set[int]:
    """The units the user leads themselves (not those below): from the memberships loaded
    with the user, no SQL."""
    return _directly_led(user)


def led_unit_ids(user: User) -> set[int]:
    """Units the user leads, and every unit below them."""
    cache = g.setdefault("_led_units", {}) if has_app_context() else {}
    if user.id not in cache:
        cache[user.id] = descendant_ids(_directly_led(user))
    return cache[user.id]


def cycle_unit_ids(cycle) -> set[int]:
    """The units whose members take part in ``cycle``."""
    return descendant_ids([cycle.unit_id]) if cycle.include_subunits else {cycle.unit_id}


def is_cycle_member(user: User, cycle) -> bool:
    return bool(member_unit_ids(user) & cycle_unit_ids(cycle))


def _manages(user: User, cycle) -> bool:
    return cycle.leader_id == user.id or cycle.unit_id in led_unit_ids(user)


def _view_cycle(user: User, cycle) -> bool:
    return (
        has_role(user, TenantRoleName.HR, TenantRoleName.ADMIN)
        or _manages(user, cycle)
        or is_cycle_member(user, cycle)
    )


def _team_answers(user: User, cycle) -> bool:
    # HR and admins are outside the team: they see aggregates, never answers.
    return _manages(user, cycle) or cycle.facilitator_id == user.id or is_cycle_member(user, cycle)


def _view_example(user: User, example) -> bool:
    # The team only (members and leaders of the unit, leaders above it): nothing leaves the
    # team before HR has redacted and approved it (the collections).
    return example.unit_id in member_unit_ids(user) or example.unit_id in led_unit_ids(user)


_RULES: dict[Permission, Callable[[User, object], bool]] = {
    Permission.VIEW_CYCLE: _view_cycle,
    Permission.MANAGE_CYCLE: _manages,
    Permission.FACILITATE: lambda u, c: _manages(u, c) or c.facilitator_id == u.id,
    Permission.CONTRIBUTE: is_cycle_member,
    Permission.VIEW_TEAM_ANSWERS: _team_answers,
    Permission.START_CYCLE: lambda u, unit_id: unit_id in led_unit_ids(u),
    Permission.START_CAMPAIGN: lambda u, _: has_role(u, TenantRoleName.HR),
    Permission.MANAGE_TEMPLATES: lambda u, _: has_role(u, TenantRoleName.HR, TenantRoleName.ADMIN),
    Permission.VIEW_ALL_UNITS: lambda u, _: has_role(u, TenantRoleName.HR, TenantRoleName.ADMIN),
    Permission.CURATE_COLLECTIONS: lambda u, _: has_role(u, TenantRoleName.HR),
    Permission.READ_REPORTS: lambda u, _: has_role(
        u, TenantRoleName.HR, TenantRoleName.HOVEDUDVALG
    ),
    Permission.ADMINISTER: lambda u, _: has_role(u, TenantRoleName.ADMIN),
    # Leading any unit at all (no need to walk the tree below it: the navigation asks this on
    # every page).
    Permission.LEAD_UNITS: lambda u, _: bool(_directly_led(u)),
    # The owner updates their own action's status; the leader may update any in the cycle.
    Permission.UPDATE_ACTION: lambda u, a: a.owner_id == u.id or _manages(u, a.cycle),
    Permission.RECORD_FOLLOW_UP: lambda u, a: _team_answers(u, a.cycle),
    Permission.RECORD_EXAMPLE: lambda u, unit_id: unit_id in member_unit_ids(u),
    Permission.VIEW_EXAMPLE: _view_example,
    Permission.EDIT_EXAMPLE: lambda u, e: e.author_id == u.id and _view_example(u, e),
    # The leader of a unit (or of one above it) chooses its channel, as an admin may for any.
    Permission.MANAGE_UNIT_TEAMS: lambda u, unit_id: (
        has_role(u, TenantRoleName.ADMIN) or unit_id in led_unit_ids(u)
    ),
}


def can(user: User | None, permission: Permission, obj: object = None) -> bool:
    if user is None or not user.is_active:
        return False
    return _RULES[permission](user, obj)


def require(user: User | None, permission: Permission, obj: object = None) -> None:
    """401 without a user; 404 when the user may not even see the object; else 403."""
    if user is None:
        abort(401)
    if can(user, permission, obj):
        return
    # A cycle the user may not even see (including a failed VIEW_CYCLE itself) does not exist
    # for them: 404, like another tenant's row.
    if obj is not None and hasattr(obj, "phase") and not can(user, Permission.VIEW_CYCLE, obj):
        abort(404)
    abort(403)
