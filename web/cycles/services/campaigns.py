"""HR's campaigns: one cycle per team below the chosen units, each led by its team's leader."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from web.cycles.models import MAX_NAME, Campaign, Cycle, DialogueTemplate, Phase
from web.cycles.services.common import CycleDates, check_dates
from web.cycles.services.cycles import build_cycle, open_cycle_unit_ids
from web.errors import InputError
from web.extensions import db
from web.inputs import check_text
from web.orgs.models import Membership, MembershipRole, OrgUnit, UnitKind
from web.orgs.services import descendant_ids
from web.users.models import User


@dataclass
class CampaignPlan:
    """What a campaign over some units would do, team by team."""

    teams: list[tuple[OrgUnit, User]] = field(default_factory=list)  # a cycle each
    without_leader: list[OrgUnit] = field(default_factory=list)  # reported, no cycle
    with_open_cycle: list[OrgUnit] = field(default_factory=list)  # reported, no second cycle


@dataclass
class CampaignResult:
    campaign: Campaign
    cycles: list[Cycle]
    plan: CampaignPlan


def plan_campaign(unit_ids: Iterable[int]) -> CampaignPlan:
    """The teams at or below ``unit_ids``, each with its leader, or why it gets no cycle.

    A team's leader is a person with the leader role directly on the team (the first by name
    when there are several). Teams without one, and teams whose current cycle is not closed
    yet, are listed so that HR sees them rather than have them skipped silently.
    """
    team_ids = _team_ids_below(unit_ids)
    plan = CampaignPlan()
    if not team_ids:
        return plan
    teams = db.session.scalars(
        select(OrgUnit).where(OrgUnit.id.in_(team_ids)).order_by(OrgUnit.name, OrgUnit.id)
    ).all()
    leaders: dict[int, User] = {}
    for unit_id, user in db.session.execute(
        select(Membership.unit_id, User)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.unit_id.in_(team_ids),
            Membership.role == MembershipRole.LEADER,
            User.is_active.is_(True),
        )
        .order_by(User.display_name, User.id)
    ):
        leaders.setdefault(unit_id, user)
    busy = open_cycle_unit_ids(team_ids)
    for team in teams:
        if team.id in busy:
            plan.with_open_cycle.append(team)
        elif team.id not in leaders:
            plan.without_leader.append(team)
        else:
            plan.teams.append((team, leaders[team.id]))
    return plan


def start_campaign(
    actor: User,
    name: str,
    template: DialogueTemplate | None,
    unit_ids: Iterable[int],
    dates: CycleDates,
) -> CampaignResult:
    """Create the campaign and one cycle per planned team, with the campaign's common dates.

    Each cycle is led by its team's leader, who sets the meeting's date and place later. The
    caller has checked ``Permission.START_CAMPAIGN``. Raises ``InputError`` (fields ``name``,
    ``template_id``, ``units`` and the dates) before writing anything.
    """
    unit_ids = sorted(set(unit_ids))
    errors: dict[str, str] = {}
    name = check_text(errors, "name", name, MAX_NAME, required=True)
    if template is None:
        errors["template_id"] = _("Vælg en skabelon.")
    elif not template.prompts:
        errors["template_id"] = _("Skabelonen har ingen spørgsmål.")
    dates = CycleDates(
        dates.preparation_starts_on, dates.preparation_ends_on, follow_up_on=dates.follow_up_on
    )
    check_dates(errors, dates)
    plan = CampaignPlan()
    if not unit_ids:
        errors["units"] = _("Vælg mindst én enhed.")
    elif _known_count(unit_ids) != len(unit_ids):
        errors["units"] = _("En af de valgte enheder findes ikke. Genindlæs siden.")
    else:
        plan = plan_campaign(unit_ids)
        if not plan.teams:
            errors["units"] = _(
                "Ingen af de valgte enheder har et team med en leder og uden et "
                "igangværende forløb."
            )
    if errors:
        raise InputError(errors)

    campaign = Campaign(
        name=name,
        template_id=template.id,
        created_by_id=actor.id,
        preparation_starts_on=dates.preparation_starts_on,
        preparation_ends_on=dates.preparation_ends_on,
        follow_up_on=dates.follow_up_on,
    )
    db.session.add(campaign)
    db.session.flush()
    cycles = [
        build_cycle(
            team, leader.id, template, dates, include_subunits=False, campaign_id=campaign.id
        )
        for team, leader in plan.teams
    ]
    db.session.flush()
    return CampaignResult(campaign, cycles, plan)


def list_campaigns() -> list[tuple[Campaign, int, int]]:
    """Every campaign, newest first, with its number of cycles and of closed ones."""
    closed = func.count(Cycle.id).filter(Cycle.phase == Phase.CLOSED)
    return [
        (c, total, done)
        for c, total, done in db.session.execute(
            select(Campaign, func.count(Cycle.id), closed)
            .outerjoin(Cycle, Cycle.campaign_id == Campaign.id)
            .group_by(Campaign.id)
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
    ]


def campaign_cycles(campaign: Campaign) -> list[tuple[Cycle, str, str | None]]:
    """The campaign's cycles with their unit's name and their leader's name, by unit name."""
    return [
        (cycle, unit_name, leader_name)
        for cycle, unit_name, leader_name in db.session.execute(
            select(Cycle, OrgUnit.name, User.display_name)
            .join(OrgUnit, OrgUnit.id == Cycle.unit_id)
            .outerjoin(User, User.id == Cycle.leader_id)
            .where(Cycle.campaign_id == campaign.id)
            .order_by(OrgUnit.name, Cycle.id)
        )
    ]


def unit_tree(only: set[int] | None = None) -> list[tuple[OrgUnit, int]]:
    """The tenant's units in tree order (siblings by name), each with its depth (one query).

    With ``only``, just those units; depth then counts only shown ancestors, so a leader's
    units start at depth 0.
    """
    units = db.session.scalars(select(OrgUnit).order_by(OrgUnit.name, OrgUnit.id)).all()
    known = {u.id for u in units}
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id if unit.parent_id in known else None, []).append(unit)
    shown: list[tuple[OrgUnit, int]] = []
    stack = [(unit, 0) for unit in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        visible = only is None or unit.id in only
        if visible:
            shown.append((unit, depth))
        below = depth + 1 if visible else depth
        stack.extend((child, below) for child in reversed(children.get(unit.id, [])))
    return shown


def _team_ids_below(unit_ids: Iterable[int]) -> set[int]:
    below = descendant_ids(unit_ids)
    if not below:
        return set()
    return set(
        db.session.scalars(
            select(OrgUnit.id).where(OrgUnit.id.in_(below), OrgUnit.kind == UnitKind.TEAM)
        )
    )


def _known_count(unit_ids: list[int]) -> int:
    return db.session.scalar(select(func.count(OrgUnit.id)).where(OrgUnit.id.in_(unit_ids))) or 0
