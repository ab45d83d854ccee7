"""Read-side queries for the three overview pages: employee home, leader dashboard, HR overview.

Each page needs a fixed number of statements whatever the size of the municipality: the
figures are computed by the database (GROUP BY over recursive CTEs for "the units a cycle
covers" and "the area a unit lies in"), related rows are loaded with joins or selectinload, and
nothing is fetched per row. ``tests/dashboards/test_query_counts.py`` holds the pages to that.

Participation per cycle (members who contributed / members) is never counted here: the
counters on ``Cycle`` are kept when it changes (``web.cycles.tally``), so the leader dashboard
reads two columns of rows it loads anyway. The HR overview's areas still count (their members are
people, counted once per area across cycles): every active person with a membership (employee or
leader) in one of the units a cycle covers; a member *contributed* when they have a
Participation row for the cycle (which records that, never which answer).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, and_, bindparam, case, distinct, func, or_, select
from sqlalchemy.orm import aliased, joinedload, lazyload

from web.cycles.models import (
    OPEN_ACTION_STATUSES,
    PHASE_ORDER,
    Action,
    ActionStatus,
    Campaign,
    Cycle,
    Participation,
    Phase,
)
from web.cycles.services.actions import actions_owned_by, today
from web.examples.services import TeamExample, team_examples
from web.extensions import db
from web.orgs.models import Membership, OrgUnit, UnitKind
from web.permissions import directly_led_unit_ids, led_unit_ids, member_unit_ids
from web.users.models import User

HOME_ACTIONS = 10
HOME_EXAMPLES = 5
LEADER_OVERDUE = 20  # the oldest; each cycle's actions page has them all


# --- building blocks --------------------------------------------------------------------------


def _cycle_units(cycles: Select):
    """CTE (cycle_id, unit_id): every unit each of ``cycles`` covers.

    ``cycles`` selects (id, unit_id, include_subunits); sub-units are followed only for cycles
    that include them.
    """
    anchor = cycles.cte("chosen_cycles")
    tree = select(
        anchor.c.id.label("cycle_id"),
        anchor.c.unit_id.label("unit_id"),
        anchor.c.include_subunits.label("deep"),
    ).cte("cycle_units", recursive=True)
    child = aliased(OrgUnit)
    return tree.union_all(
        select(tree.c.cycle_id, child.id, tree.c.deep)
        .select_from(tree)
        .join(child, child.parent_id == tree.c.unit_id)
        .where(tree.c.deep)
    )


def _members_and_contributors(cycle_units, *group_by):
    """COUNT(DISTINCT member), COUNT(DISTINCT member who contributed) over ``cycle_units``."""
    contributed = case((Participation.id.is_not(None), Membership.user_id))
    return (
        select(
            *group_by,
            func.count(distinct(Membership.user_id)).label("members"),
            func.count(distinct(contributed)).label("contributors"),
        )
        .select_from(cycle_units)
        .join(Membership, Membership.unit_id == cycle_units.c.unit_id)
        .join(User, and_(User.id == Membership.user_id, User.is_active))
        .outerjoin(
            Participation,
            and_(
                Participation.cycle_id == cycle_units.c.cycle_id,
                Participation.user_id == Membership.user_id,
            ),
        )
    )


def _cycle_rows(query: Select) -> list[Cycle]:
    """Cycles with their unit, without their prompts (the overview pages never show them)."""
    return list(db.session.scalars(query.options(joinedload(Cycle.unit), lazyload(Cycle.prompts))))


# --- employee home ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeCycle:
    """What the front page shows of an open cycle the user takes part in."""

    id: int
    unit_name: str
    phase: Phase
    preparation_ends_on: date
    meeting_at: datetime | None
    meeting_place: str | None
    follow_up_on: date | None
    has_contributed: bool
    open_actions: int  # the user's own open actions in this cycle


@dataclass(frozen=True)
class EmployeeHome:
    cycles: list[HomeCycle]
    actions: list[Action]  # the user's open actions, soonest first
    examples: list[TeamExample]
    today: date
    has_units: bool


def my_open_cycles(user: User) -> list[HomeCycle]:
    """The open cycles the user takes part in: of their units, or of a unit above one of them
    that includes its sub-units; each with whether the user has contributed and how many of
    their own actions in it are open (one statement, plain rows)."""
    units = member_unit_ids(user)
    if not units:
        return []
    return [
        HomeCycle(*row[:7], bool(row[7]), row[8])
        for row in db.session.connection().execute(
            _my_open_cycles_statement(),
            {"tenant": user.tenant_id, "user": user.id, "units": sorted(units)},
        )
    ]


@functools.cache
def _my_open_cycles_statement():
    """Built once, on the session's connection (its transaction holds the tenant for row-level
    security), naming the tenant of each table itself, as the ORM's scoping would add it.

    Written as "a unit at or above mine, and mine or including sub-units" (not "mine, or
    above and including"): PostgreSQL then plans a semi-join on the few units above instead
    of hashing every unit of the tenant (0.3 ms against 2 ms at 2,000 units). Whether the user
    contributed and their open actions are correlated subqueries (an index probe per cycle,
    a user has a few): one round trip instead of three."""
    units, cycles = OrgUnit.__table__, Cycle.__table__
    participations, actions = Participation.__table__, Action.__table__
    tenant, user = bindparam("tenant"), bindparam("user")
    mine = bindparam("units", expanding=True)
    tree = (
        select(units.c.id, units.c.parent_id)
        .where(units.c.id.in_(mine), units.c.tenant_id == tenant)
        .cte("ancestors", recursive=True)
    )
    parent = units.alias("parent_unit")
    tree = tree.union_all(
        select(
            tree.c.parent_id,
            select(parent.c.parent_id)
            .where(parent.c.id == tree.c.parent_id, parent.c.tenant_id == tenant)
            .scalar_subquery(),
        ).where(tree.c.parent_id.is_not(None))
    )
    unit_name = (
        select(units.c.name)
        .where(units.c.id == cycles.c.unit_id, units.c.tenant_id == tenant)
        .scalar_subquery()
    )
    contributed = (
        select(participations.c.id)
        .where(
            participations.c.tenant_id == tenant,
            participations.c.cycle_id == cycles.c.id,
            participations.c.user_id == user,
        )
        .exists()
    )
    own_open = (
        select(func.count())
        .where(
            actions.c.tenant_id == tenant,
            actions.c.owner_id == user,
            actions.c.cycle_id == cycles.c.id,
            actions.c.status.in_(OPEN_ACTION_STATUSES),
        )
        .scalar_subquery()
    )
    return (
        select(
            cycles.c.id,
            unit_name,
            cycles.c.phase,
            cycles.c.preparation_ends_on,
            cycles.c.meeting_at,
            cycles.c.meeting_place,
            cycles.c.follow_up_on,
            contributed,
            own_open,
        )
        .where(
            cycles.c.tenant_id == tenant,
            cycles.c.phase != Phase.CLOSED,
            cycles.c.unit_id.in_(select(tree.c.id)),
            or_(cycles.c.include_subunits, cycles.c.unit_id.in_(mine)),
        )
        .order_by(cycles.c.preparation_ends_on, cycles.c.id)
    )


def employee_home(user: User) -> EmployeeHome:
    units = member_unit_ids(user)
    examples, _ = team_examples(user, unit_ids=units, per_page=HOME_EXAMPLES)
    return EmployeeHome(
        cycles=my_open_cycles(user),
        actions=actions_owned_by(user, open_only=True, limit=HOME_ACTIONS),
        examples=examples,
        today=today(),
        has_units=bool(units),
    )


# --- leader dashboard -------------------------------------------------------------------------
# Read by every leader, often. After the units led and below (``led_unit_ids``, one recursive
# statement), two statements built once that return plain rows (no ORM entities), executed on
# the session's connection (its transaction holds the tenant for row-level security) with the
# tenant named in every table's condition (as the ORM's scoping would add it). The first joins
# the units' open cycles, with the counters kept on the cycle and their open and overdue
# actions counted in correlated subqueries (each an index range over one cycle's open
# actions); the second lists the oldest overdue actions with their owner's name, and is
# skipped when there are none.


@dataclass(frozen=True)
class LeaderCycleInfo:
    """What the dashboard shows of an open cycle."""

    id: int
    unit_id: int
    unit_name: str
    include_subunits: bool
    phase: Phase
    preparation_ends_on: date
    meeting_at: datetime | None
    follow_up_on: date | None


@dataclass(frozen=True)
class LeaderCycle:
    cycle: LeaderCycleInfo
    members: int
    contributors: int
    open_actions: int
    overdue_actions: int


@dataclass(frozen=True)
class IdleUnit:
    id: int
    name: str


@dataclass(frozen=True)
class OverdueAction:
    id: int
    cycle_id: int
    text: str
    due_on: date
    status: ActionStatus
    owner_name: str | None  # None: nobody owns it
    unit_name: str


@dataclass(frozen=True)
class LeaderDashboard:
    cycles: list[LeaderCycle]  # the open cycles of the units the user leads (and below)
    idle_units: list[IdleUnit]  # led units without an open cycle, by name
    overdue: list[OverdueAction]  # the LEADER_OVERDUE oldest overdue open actions of those
    today: date

    @property
    def overdue_total(self) -> int:
        return sum(row.overdue_actions for row in self.cycles)

    @property
    def units(self) -> list[IdleUnit]:
        """Every led unit (and those below), by name: with an open cycle or without."""
        found = {row.cycle.unit_id: row.cycle.unit_name for row in self.cycles}
        found.update((unit.id, unit.name) for unit in self.idle_units)
        return [IdleUnit(i, n) for i, n in sorted(found.items(), key=lambda p: (p[1], p[0]))]


@functools.cache
def _leader_units_statement():
    """(unit id, unit name, the unit's open cycle's columns or NULLs, its open and overdue
    action counts) for each of the given units.

    The units are a list, not a recursive CTE in this statement: PostgreSQL estimates a
    recursive CTE at hundreds of rows, which with the subqueries per row costs the statement
    past ``jit_above_cost`` (~100 ms of JIT compilation for a 1 ms query)."""
    units, cycles, actions = OrgUnit.__table__, Cycle.__table__, Action.__table__
    tenant = bindparam("tenant")

    def open_actions(*more):
        return (
            select(func.count())
            .where(
                actions.c.tenant_id == tenant,
                actions.c.cycle_id == cycles.c.id,
                actions.c.status.in_(OPEN_ACTION_STATUSES),
                *more,
            )
            .scalar_subquery()
        )

    return (
        select(
            units.c.id,
            units.c.name,
            cycles.c.id,
            cycles.c.include_subunits,
            cycles.c.phase,
            cycles.c.preparation_ends_on,
            cycles.c.meeting_at,
            cycles.c.follow_up_on,
            cycles.c.member_count,
            cycles.c.contributor_count,
            open_actions(),
            open_actions(actions.c.due_on < bindparam("today")),
        )
        .select_from(
            units.outerjoin(
                cycles,
                and_(
                    cycles.c.unit_id == units.c.id,
                    cycles.c.tenant_id == tenant,
                    cycles.c.phase != Phase.CLOSED,
                ),
            )
        )
        .where(units.c.id.in_(bindparam("units", expanding=True)), units.c.tenant_id == tenant)
        .order_by(cycles.c.preparation_ends_on, cycles.c.id, units.c.name, units.c.id)
    )


@functools.cache
def _leader_overdue_statement():
    """The oldest overdue open actions of the given cycles, with their owner's name (the
    oldest chosen first, so only those few look their owner up)."""
    actions, users = Action.__table__, User.__table__
    tenant = bindparam("tenant")
    oldest = (
        select(
            actions.c.id,
            actions.c.cycle_id,
            actions.c.text,
            actions.c.due_on,
            actions.c.status,
            actions.c.owner_id,
        )
        .where(
            actions.c.tenant_id == tenant,
            actions.c.cycle_id.in_(bindparam("cycles", expanding=True)),
            actions.c.status.in_(OPEN_ACTION_STATUSES),
            actions.c.due_on < bindparam("today"),
        )
        .order_by(actions.c.due_on, actions.c.id)
        .limit(LEADER_OVERDUE)
        .subquery("oldest_overdue")
    )
    return (
        select(
            oldest.c.id,
            oldest.c.cycle_id,
            oldest.c.text,
            oldest.c.due_on,
            oldest.c.status,
            users.c.display_name,
        )
        .select_from(
            oldest.outerjoin(
                users, and_(users.c.id == oldest.c.owner_id, users.c.tenant_id == tenant)
            )
        )
        .order_by(oldest.c.due_on, oldest.c.id)
    )


def leader_dashboard(user: User) -> LeaderDashboard:
    on = today()
    if not directly_led_unit_ids(user):
        return LeaderDashboard([], [], [], on)
    led = led_unit_ids(user)  # and every unit below them (one recursive statement)
    connection = db.session.connection()
    params = {"tenant": user.tenant_id, "today": on}
    cycles: list[LeaderCycle] = []
    idle: list[IdleUnit] = []
    unit_names: dict[int, str] = {}
    for (
        unit_id,
        name,
        cycle_id,
        deep,
        phase,
        ends_on,
        meeting_at,
        follow_up_on,
        members,
        contributors,
        open_,
        overdue,
    ) in connection.execute(_leader_units_statement(), {**params, "units": sorted(led)}):
        if cycle_id is None:
            idle.append(IdleUnit(unit_id, name))
            continue
        unit_names[cycle_id] = name
        cycles.append(
            LeaderCycle(
                LeaderCycleInfo(
                    cycle_id, unit_id, name, deep, phase, ends_on, meeting_at, follow_up_on
                ),
                members,
                contributors,
                open_,
                overdue,
            )
        )
    board = LeaderDashboard(cycles=cycles, idle_units=idle, overdue=[], today=on)
    if board.overdue_total:
        board.overdue.extend(
            OverdueAction(id_, cycle_id, text, due_on, status, owner, unit_names[cycle_id])
            for id_, cycle_id, text, due_on, status, owner in connection.execute(
                _leader_overdue_statement(), {**params, "cycles": list(unit_names)}
            )
        )
    return board


# --- HR overview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitStatus:
    unit: OrgUnit
    depth: int
    cycle: Cycle | None  # the unit's latest cycle, if it has had one


@dataclass(frozen=True)
class AreaParticipation:
    """Participation in one area (or in the areas merged for being below k)."""

    label: str | None  # the area's name; None for "outside any area"
    members: int | None  # None: below k, not shown
    contributors: int | None  # None also when the anonymity engine hides it
    merged_names: tuple[str | None, ...] = ()  # for the merged row: the areas it holds

    @property
    def is_shown(self) -> bool:
        return self.members is not None

    @property
    def share(self) -> float | None:
        if not self.members or self.contributors is None:
            return None
        return self.contributors / self.members


@dataclass(frozen=True)
class CampaignProgress:
    campaign: Campaign
    by_phase: dict[Phase, int]

    @property
    def total(self) -> int:
        return sum(self.by_phase.values())


@dataclass
class Overview:
    units: list[UnitStatus]
    areas: list[AreaParticipation]  # areas with at least k members, by name
    small_areas: list[str | None]  # names of the areas below k (None: outside any area)
    merged: AreaParticipation | None  # the areas below k together (figures only if >= k)
    campaigns: list[CampaignProgress]
    k: int
    phase_totals: dict[Phase | None, int] = field(default_factory=dict)  # None: no cycle yet


def _latest_cycles() -> Select:
    """(id, unit_id, include_subunits) of each unit's latest cycle, whatever its phase."""
    ranked = select(
        Cycle.id,
        Cycle.unit_id,
        Cycle.include_subunits,
        func.row_number()
        .over(partition_by=Cycle.unit_id, order_by=(Cycle.created_at.desc(), Cycle.id.desc()))
        .label("rn"),
    ).subquery("ranked_cycles")
    return select(ranked.c.id, ranked.c.unit_id, ranked.c.include_subunits).where(ranked.c.rn == 1)


def _unit_areas():
    """CTE (unit_id, area_id): each unit inside an area, with the nearest area above it."""
    tree = (
        select(OrgUnit.id.label("unit_id"), OrgUnit.id.label("area_id"))
        .where(OrgUnit.kind == UnitKind.AREA)
        .cte("unit_areas", recursive=True)
    )
    child = aliased(OrgUnit)
    return tree.union_all(
        select(child.id, tree.c.area_id)
        .select_from(tree)
        .join(child, child.parent_id == tree.c.unit_id)
        .where(child.kind != UnitKind.AREA)
    )


def unit_statuses() -> list[UnitStatus]:
    """Every unit top-down with its latest cycle (two statements)."""
    units = list(db.session.scalars(select(OrgUnit).order_by(OrgUnit.name, OrgUnit.id)))
    latest_ids = select(_latest_cycles().subquery().c.id)
    cycles = {c.unit_id: c for c in _cycle_rows(select(Cycle).where(Cycle.id.in_(latest_ids)))}
    return [UnitStatus(unit, depth, cycles.get(unit.id)) for unit, depth in _preorder(units)]


NO_CYCLE = "none"  # the phase filter's choice for a unit that has had no cycle


def filter_statuses(
    statuses: list[UnitStatus],
    *,
    name: str | None = None,
    phase: str | None = None,
    campaign_id: int | None = None,
    kind: str | None = None,
) -> list[UnitStatus]:
    """The statuses that match every filter given: ``name`` anywhere in the unit's name (case
    folded), ``phase`` (or NO_CYCLE), the latest cycle's campaign, the unit's kind."""
    needle = name.casefold() if name else None

    def keep(status: UnitStatus) -> bool:
        cycle = status.cycle
        return (
            (needle is None or needle in status.unit.name.casefold())
            and (phase is None or (cycle.phase.value if cycle else NO_CYCLE) == phase)
            and (campaign_id is None or (cycle is not None and cycle.campaign_id == campaign_id))
            and (kind is None or status.unit.kind.value == kind)
        )

    return [status for status in statuses if keep(status)]


def overview(k: int) -> Overview:
    statuses = unit_statuses()
    units = [status.unit for status in statuses]
    totals: dict[Phase | None, int] = dict.fromkeys(PHASE_ORDER, 0)
    totals[None] = 0
    for status in statuses:
        totals[status.cycle.phase if status.cycle else None] += 1
    areas, small, merged = participation_by_area(k, {u.id: u.name for u in units})
    return Overview(
        units=statuses,
        areas=areas,
        small_areas=small,
        merged=merged,
        campaigns=campaign_progress(),
        k=k,
        phase_totals=totals,
    )


def participation_by_area(
    k: int, unit_names: dict[int, str]
) -> tuple[list[AreaParticipation], list[str | None], AreaParticipation | None]:
    """Participation in each area's units' latest cycles, people counted once per area, through
    the reports' anonymity engine (``web.reports.anonymity.protect``: the same threat model,
    primary suppression, audit and cell suppression; no earlier reports, as the page is live).

    An area of fewer than k people gets no row: those areas are merged into one row of the
    people in no shown area, which shows figures only if it is about at least k people. A
    participation figure about 1..k-1 people (or one that would give such a figure back) is
    hidden. No total is shown (the audit counts it as shown, which only protects more).
    """
    from web.reports.anonymity import Part, UnitFigures, protect

    covered = _cycle_units(_latest_cycles())
    areas = _unit_areas()
    contributed = func.max(case((Participation.id.is_not(None), 1), else_=0))
    pairs = db.session.execute(
        select(areas.c.area_id, Membership.user_id, contributed)
        .select_from(covered)
        .join(Membership, Membership.unit_id == covered.c.unit_id)
        .join(User, and_(User.id == Membership.user_id, User.is_active))
        .outerjoin(
            Participation,
            and_(
                Participation.cycle_id == covered.c.cycle_id,
                Participation.user_id == Membership.user_id,
            ),
        )
        .outerjoin(areas, areas.c.unit_id == covered.c.unit_id)
        .group_by(areas.c.area_id, Membership.user_id)
    ).all()
    people: dict[int | None, set[int]] = {}
    took_part: set[int] = set()
    for area_id, user_id, did in pairs:
        people.setdefault(area_id, set()).add(user_id)
        if did:
            took_part.add(user_id)
    if not people:
        return [], [], None
    key = {a: f"area:{a}" for a in people}
    units = [UnitFigures("all", None, "all")] + [
        UnitFigures(key[a], "all", key[a], (Part(key[a], frozenset(members)),))
        for a, members in people.items()
    ]
    rows = protect(units, {"contributors": frozenset(took_part)}, k).rows
    by_key = {r.unit_id: r for r in rows if not r.is_other}
    shown = [
        AreaParticipation(
            _area_label(a, unit_names),
            by_key[key[a]].people_count,
            by_key[key[a]].figures["contributors"],
        )
        for a in people
        if key[a] in by_key
    ]
    shown.sort(key=lambda a: (a.label is None, a.label or ""))
    small_names = sorted(
        (_area_label(a, unit_names) for a in people if key[a] not in by_key),
        key=lambda name: (name is None, name or ""),
    )
    merged = None
    if small_names:
        other = next((r for r in rows if r.is_other), None)
        if other is None or other.people_count < k:
            merged = AreaParticipation(None, None, None, tuple(small_names))
        else:
            merged = AreaParticipation(
                None, other.people_count, other.figures["contributors"], tuple(small_names)
            )
    return shown, small_names, merged


def _area_label(area_id: int | None, unit_names: dict[int, str]) -> str | None:
    return unit_names.get(area_id) if area_id is not None else None


def campaign_progress() -> list[CampaignProgress]:
    """Every campaign with how many of its cycles are in each phase (two statements)."""
    campaigns = list(
        db.session.scalars(
            select(Campaign).order_by(Campaign.preparation_starts_on.desc(), Campaign.id.desc())
        )
    )
    if not campaigns:
        return []
    counts: dict[int, dict[Phase, int]] = {c.id: dict.fromkeys(PHASE_ORDER, 0) for c in campaigns}
    for campaign_id, phase, n in db.session.execute(
        select(Cycle.campaign_id, Cycle.phase, func.count())
        .where(Cycle.campaign_id.is_not(None))
        .group_by(Cycle.campaign_id, Cycle.phase)
    ):
        if campaign_id in counts:
            counts[campaign_id][phase] = n
    return [CampaignProgress(c, counts[c.id]) for c in campaigns]


def _preorder(units: list[OrgUnit]) -> list[tuple[OrgUnit, int]]:
    """The org tree top-down (siblings by name), with each unit's depth."""
    ids = {u.id for u in units}
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:  # already sorted by name
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    ordered: list[tuple[OrgUnit, int]] = []
    stack = [(u, 0) for u in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        ordered.append((unit, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(unit.id, [])))
    return ordered
