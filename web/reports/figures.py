"""The report's numbers: aggregates in SQL per area/department, then the anonymity rules.

What is counted (period = [start, end]; statuses as they stand when the report is made):

- *members* of a unit: its active people. Each person counts once, in one unit: the lowest-id
  unit they are an employee of, else the lowest-id unit they lead (so no figure is about a
  person twice, which ``anonymity.suppress`` asks for);
- *contributors*: members who took part (``Participation``) in a cycle of the period;
- *cycles of the period*: cycles whose preparation starts in the period; *completed*: of those,
  closed; *overdue*: of those, not closed and past their follow-up date;
- *actions*: the actions of those cycles; *done*: status done; *overdue*: open and past due;
- *distribution* over the four expectations, KKC and OLFA: those actions, and the examples
  recorded in the period (their classification only, never their text).

Rows are areas and departments (and the organisation): a team is counted in its department.
Every per-unit figure goes through ``anonymity.suppress`` with the tenant's k and the groups
published by the tenant's earlier reports. The only per-person rows read are (person, unit)
pairs: ``suppress`` needs the people sets; every count is a GROUP BY in the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, String, and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from web.cycles.models import (
    OPEN_ACTION_STATUSES,
    Action,
    ActionStatus,
    Cycle,
    Participation,
    Phase,
)
from web.cycles.vocabulary import KKC, OLFA, Expectation
from web.examples.models import Example, ExampleExpectation
from web.extensions import db
from web.orgs.models import Membership, MembershipRole, OrgUnit, UnitKind
from web.reports.anonymity import ShownRow, UnitFigures, suppress
from web.users.models import User

REPORT_KINDS = (UnitKind.ORGANISATION, UnitKind.AREA, UnitKind.DEPARTMENT)
PARTICIPATION = ("members", "contributors")
CYCLES = ("cycles_started", "cycles_completed", "cycles_overdue")
ACTIONS = ("actions_agreed", "actions_done", "actions_overdue")
# Distribution figures are named "<dimension>:<value>:<source>", e.g. "kkc:course:actions".
DIMENSIONS = {"expectation": Expectation, "kkc": KKC, "olfa": OLFA}
SOURCES = {"expectation": ("actions", "examples"), "kkc": ("actions", "examples"),
           "olfa": ("examples",)}


def distribution_key(dimension: str, value: str, source: str) -> str:
    return f"{dimension}:{value}:{source}"


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as [from, to) instants (UTC midnights)."""
        return (datetime.combine(self.start, time.min, UTC),
                datetime.combine(self.end + timedelta(days=1), time.min, UTC))


@dataclass
class Figures:
    """What the report shows: the rows that passed the anonymity rules, and the input sizes."""

    rows: list[ShownRow]
    totals: dict[str, int]  # summed over the shown top rows: tenant-wide, or empty if withheld
    counts: dict[str, int] = field(default_factory=dict)  # for the run log; numbers only


def compute(period: Period, k: int, published: frozenset[frozenset[int]], today: date) -> Figures:
    units = _report_units()
    people = _people(units.report_unit)
    figures: dict[int, dict[str, int]] = defaultdict(dict)
    for query in _aggregates(period, units.report_unit, today):
        for unit_id, name, value in db.session.execute(query):
            figures[unit_id][name] = figures[unit_id].get(name, 0) + int(value or 0)
    inputs, unplaced = _unit_figures(units, people, figures)
    rows = suppress(inputs, k=k, published=published)
    shown_units = {r.unit_id for r in rows if not r.is_other}
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.depth == 0 and not row.is_other:
            for name, value in row.figures.items():
                totals[name] += value
    return Figures(rows=rows, totals=dict(totals), counts={
        "org_units": len(units.report_unit),
        "report_units": len(units.names),
        "people": len(set().union(*people.values())) if people else 0,
        "cycles": sum(f.get("cycles_started", 0) for f in figures.values()),
        "actions": sum(f.get("actions_agreed", 0) for f in figures.values()),
        "examples": _examples_in(period),
        "rows_shown": len(rows),
        "units_merged": len(units.names) - len(shown_units),
        "figures_unplaced": unplaced,
    })


# --- the tree -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Units:
    report_unit: dict[int, int]  # every org unit → the area/department row it is counted in
    parent: dict[int, int | None]  # report unit → its parent report unit
    names: dict[int, str]  # report unit → name


def _report_units() -> _Units:
    """Map every unit to its row: itself for an organisation, area or department (or a root),
    else the nearest such unit above it. One recursive query and one for the names."""
    child = aliased(OrgUnit)
    tree = select(OrgUnit.id.label("unit_id"), OrgUnit.id.label("report_unit_id")).where(
        or_(OrgUnit.kind.in_(REPORT_KINDS), OrgUnit.parent_id.is_(None))
    ).cte("report_units", recursive=True)
    tree = tree.union_all(
        select(child.id, tree.c.report_unit_id)
        .join(tree, child.parent_id == tree.c.unit_id)
        .where(child.kind.not_in(REPORT_KINDS)))
    report_unit = dict(db.session.execute(select(tree.c.unit_id, tree.c.report_unit_id)).all())
    rows = db.session.execute(select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.name).where(
        OrgUnit.id.in_(set(report_unit.values())))).all()
    return _Units(
        report_unit=report_unit,
        parent={uid: report_unit.get(pid) if pid is not None else None for uid, pid, _ in rows},
        names={uid: name for uid, _, name in rows},
    )


def _primary_units() -> Select:
    """(user_id, unit_id): each active person's one unit (see the module's docstring)."""
    as_employee = func.min(case((Membership.role == MembershipRole.EMPLOYEE, Membership.unit_id)))
    return (select(Membership.user_id.label("user_id"),
                   func.coalesce(as_employee, func.min(Membership.unit_id)).label("unit_id"))
            .join(User, and_(User.id == Membership.user_id, User.is_active.is_(True)))
            .group_by(Membership.user_id))


def _people(report_unit: dict[int, int]) -> dict[int, set[int]]:
    people: dict[int, set[int]] = defaultdict(set)
    for user_id, unit_id in db.session.execute(_primary_units()):
        if unit_id in report_unit:
            people[report_unit[unit_id]].add(user_id)
    return people


# --- the aggregates ---------------------------------------------------------------------------


def _aggregates(period: Period, report_unit: dict[int, int], today: date) -> list[Select]:
    """Queries yielding (unit_id, figure name, value), each one GROUP BY in the database.

    They group by org unit; units are then added up per row (a handful of units per row)."""
    start, end = period.bounds()
    in_period = Cycle.preparation_starts_on.between(period.start, period.end)
    primary = _primary_units().subquery()
    took_part = (select(Participation.user_id).join(Cycle, Cycle.id == Participation.cycle_id)
                 .where(in_period))
    people = select(primary.c.unit_id.label("unit_id"))
    queries = _figures(people.group_by(primary.c.unit_id), members=func.count())
    queries += _figures(people.where(primary.c.user_id.in_(took_part))
                        .group_by(primary.c.unit_id), contributors=func.count())
    cycles = select(Cycle.unit_id.label("unit_id")).where(in_period).group_by(Cycle.unit_id)
    queries += _figures(cycles, cycles_started=func.count(),
                        cycles_completed=_sum(Cycle.phase == Phase.CLOSED),
                        cycles_overdue=_sum(and_(Cycle.phase != Phase.CLOSED,
                                                 Cycle.follow_up_on < today)))
    actions = (select(Cycle.unit_id.label("unit_id")).select_from(Action)
               .join(Cycle, Cycle.id == Action.cycle_id).where(in_period))
    queries += _figures(actions.group_by(Cycle.unit_id), actions_agreed=func.count(),
                        actions_done=_sum(Action.status == ActionStatus.DONE),
                        actions_overdue=_sum(and_(Action.status.in_(OPEN_ACTION_STATUSES),
                                                  Action.due_on < today)))
    for dimension in ("expectation", "kkc"):
        column = getattr(Action, dimension)
        queries.append(_distribution(actions.where(column.is_not(None)), Cycle.unit_id, column,
                                     dimension, "actions"))
    examples = select(Example.unit_id.label("unit_id")).where(Example.created_at >= start,
                                                              Example.created_at < end)
    queries.append(_distribution(
        examples.join(ExampleExpectation, ExampleExpectation.example_id == Example.id),
        Example.unit_id, ExampleExpectation.expectation, "expectation", "examples"))
    for dimension in ("kkc", "olfa"):
        column = getattr(Example, dimension)
        queries.append(_distribution(examples.where(column.is_not(None)), Example.unit_id,
                                     column, dimension, "examples"))
    return queries


def _sum(condition) -> object:
    return func.sum(case((condition, 1), else_=0))


def _figures(grouped: Select, **columns) -> list[Select]:
    """(unit_id, a, b, …) grouped once → one (unit_id, name, value) query per named column."""
    sub = grouped.add_columns(*(expr.label(name) for name, expr in columns.items())).subquery()
    return [select(sub.c.unit_id, _literal(name), sub.c[name]) for name in columns]


def _distribution(base: Select, unit, column, dimension: str, source: str) -> Select:
    """(unit_id, "dimension:value:source", count) grouped by unit and the column's value."""
    sub = (base.add_columns(column.label("value"), func.count().label("n"))
           .group_by(unit, column).subquery())
    name = _literal(f"{dimension}:") + sub.c.value + _literal(f":{source}")
    return select(sub.c.unit_id, name, sub.c.n)


def _literal(text: str):
    return literal(text, String)


def _examples_in(period: Period) -> int:
    start, end = period.bounds()
    return db.session.scalar(select(func.count(Example.id)).where(
        Example.created_at >= start, Example.created_at < end)) or 0


# --- into the anonymity rules -----------------------------------------------------------------


def _unit_figures(units: _Units, people: dict[int, set[int]],
                  by_org_unit: dict[int, dict[str, int]]) -> tuple[list[UnitFigures], int]:
    """One ``UnitFigures`` per row unit; returns also how many figures had nobody to be about.

    A unit's figures are about its own people. A department without people of its own but with
    a cycle of its own (run for all its teams) has figures about its whole subtree: those people
    are its group. A unit with no people at all below it hands its figures to its parent.
    """
    figures: dict[int, dict[str, int]] = {u: defaultdict(int) for u in units.names}
    for org_unit, values in by_org_unit.items():
        row = units.report_unit.get(org_unit)
        if row is None:
            continue
        for name, value in values.items():
            figures[row][name] += value
    subtree = _subtree_people(units, people)
    unplaced = 0
    own = {u: frozenset(people.get(u, ())) for u in units.names}
    for unit in _children_first(units):
        if own[unit] or not any(figures[unit].values()):
            continue
        if subtree[unit]:
            own[unit] = frozenset(subtree[unit])
        elif units.parent[unit] is not None:
            for name, value in figures[unit].items():
                figures[units.parent[unit]][name] += value
            figures[unit] = defaultdict(int)
        else:
            unplaced += sum(figures[unit].values())
            figures[unit] = defaultdict(int)
    return [UnitFigures(id=_key(u), parent_id=_key(units.parent[u]) if units.parent[u] else None,
                        label=units.names[u], people=own[u], figures=dict(figures[u]))
            for u in units.names], unplaced


def _key(unit_id: int) -> str:
    """Zero-padded, so the rules' order by id (siblings, ties) is the units' creation order."""
    return f"{unit_id:012d}"


def _children_first(units: _Units) -> list[int]:
    depth: dict[int, int] = {}

    def depth_of(u: int) -> int:
        if u not in depth:
            parent = units.parent[u]
            depth[u] = 0 if parent is None else depth_of(parent) + 1
        return depth[u]

    return sorted(units.names, key=lambda u: (-depth_of(u), u))


def _subtree_people(units: _Units, people: dict[int, set[int]]) -> dict[int, set[int]]:
    subtree = {u: set(people.get(u, ())) for u in units.names}
    for unit in _children_first(units):
        parent = units.parent[unit]
        if parent is not None:
            subtree[parent] |= subtree[unit]
    return subtree
