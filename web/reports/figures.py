"""The report's numbers: aggregates in SQL per area/department, then the anonymity rules.

What is counted (period = [start, end]; statuses as they stand when the report is made):

- *members* of a unit: its active people. Each person counts once, in one unit: the lowest-id
  unit they are an employee of, else the lowest-id unit they lead (so no figure is about a
  person twice: the audit's people sets partition the people);
- *contributors*: members who took part (``Participation``) in a cycle of the period;
- *cycles of the period*: cycles whose preparation starts in the period; *completed*: of those,
  closed; *overdue*: of those, not closed and past their follow-up date;
- *actions*: the actions of those cycles; *done*: status done; *overdue*: open and past due;
- *distribution* over the four expectations, KKC and OLFA: those actions, and the examples
  recorded in the period (their classification only, never their text).

Rows are areas and departments (and the organisation): a team is counted in its department.
Every figure goes through ``anonymity.protect`` with the report series' k and the rows published
by the earlier reports whose period overlaps this one. The only per-person rows read are
(person, unit) pairs and the ids of the people who took part: the audit needs the people sets;
every count is a GROUP BY in the database, per org unit (the audit's parts).
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from collections.abc import Iterable, Sequence
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
from web.examples.models import Example, ExampleExpectation
from web.extensions import db
from web.orgs.models import Membership, MembershipRole, OrgUnit, UnitKind
from web.reports.anonymity import Part, PublishedRow, ShownRow, UnitFigures, protect
from web.users.models import User
from web.vocabulary import KKC, OLFA, Expectation

REPORT_KINDS = (UnitKind.ORGANISATION, UnitKind.AREA, UnitKind.DEPARTMENT)
CYCLES = ("cycles_started", "cycles_completed", "cycles_overdue")
ACTIONS = ("actions_agreed", "actions_done", "actions_overdue")
# Distribution figures are named "<dimension>:<value>:<source>", e.g. "kkc:course:actions".
DIMENSIONS = {"expectation": Expectation, "kkc": KKC, "olfa": OLFA}
SOURCES = {
    "expectation": ("actions", "examples"),
    "kkc": ("actions", "examples"),
    "olfa": ("examples",),
}


def distribution_key(dimension: str, value: str, source: str) -> str:
    return f"{dimension}:{value}:{source}"


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as [from, to) instants (UTC midnights)."""
        return (
            datetime.combine(self.start, time.min, UTC),
            datetime.combine(self.end + timedelta(days=1), time.min, UTC),
        )


@dataclass
class Figures:
    """What the report shows: the rows and cells that passed the audit, and the input sizes."""

    rows: list[ShownRow]
    totals: dict[str, int | None]  # the root row's cells (None: hidden); empty if withheld
    counts: dict[str, int] = field(default_factory=dict)  # for the run log; numbers only
    withheld_people: int = 0  # people of a tree below k: nothing of theirs may be shown


def compute(
    period: Period,
    k: int,
    earlier: Sequence[PublishedRow],
    today: date,
    previously_hidden: Iterable[tuple[str, str]] = (),
) -> Figures:
    """The report's figures through ``anonymity.protect`` (primary suppression, the exact audit
    against ``earlier``, the rows of overlapping earlier reports, and secondary suppression)."""
    units = _report_units()
    people = _people(units.report_unit)
    figures: dict[int, dict[str, int]] = defaultdict(dict)
    for query in _aggregates(period, units.report_unit, today):
        for unit_id, name, value in db.session.execute(query):
            figures[unit_id][name] = figures[unit_id].get(name, 0) + int(value or 0)
    inputs = _unit_figures(units, people, figures)
    took_part = frozenset(db.session.scalars(_took_part(period).distinct()))
    started = clock.monotonic()
    result = protect(inputs, {"contributors": took_part}, k, earlier, previously_hidden)
    audit_ms = int((clock.monotonic() - started) * 1000)
    rows = result.rows
    shown_units = {r.unit_id for r in rows if not r.is_other}
    roots = [r for r in rows if r.depth == 0 and not r.is_other]
    totals: dict[str, int | None] = {}
    if len(roots) == 1:
        totals = {"members": roots[0].people_count, **roots[0].figures}
    elif roots:
        names = {n for r in roots for n in r.figures}
        totals = {
            n: (
                None
                if any(r.figures.get(n) is None for r in roots)
                else sum(r.figures.get(n) or 0 for r in roots)
            )
            for n in names
        }
        totals["members"] = sum(r.people_count for r in roots)
    all_people = set().union(*people.values()) if people else set()
    return Figures(
        rows=rows,
        totals=totals,
        withheld_people=result.withheld_people,
        counts={
            "org_units": len(units.report_unit),
            "report_units": len(units.names),
            "people": len(all_people),
            "cycles": sum(f.get("cycles_started", 0) for f in figures.values()),
            "actions": sum(f.get("actions_agreed", 0) for f in figures.values()),
            "examples": _examples_in(period),
            "rows_shown": len(rows),
            "units_merged": len(units.names) - len(shown_units),
            "earlier_rows": len(earlier),
            "audit_ms": audit_ms,
            **{f"audit_{name}": value for name, value in result.stats.items()},
        },
    )


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
    tree = (
        select(OrgUnit.id.label("unit_id"), OrgUnit.id.label("report_unit_id"))
        .where(or_(OrgUnit.kind.in_(REPORT_KINDS), OrgUnit.parent_id.is_(None)))
        .cte("report_units", recursive=True)
    )
    tree = tree.union_all(
        select(child.id, tree.c.report_unit_id)
        .join(tree, child.parent_id == tree.c.unit_id)
        .where(child.kind.not_in(REPORT_KINDS))
    )
    report_unit = dict(db.session.execute(select(tree.c.unit_id, tree.c.report_unit_id)).all())
    rows = db.session.execute(
        select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.name).where(
            OrgUnit.id.in_(set(report_unit.values()))
        )
    ).all()
    return _Units(
        report_unit=report_unit,
        parent={uid: report_unit.get(pid) if pid is not None else None for uid, pid, _ in rows},
        names={uid: name for uid, _, name in rows},
    )


def _primary_units() -> Select:
    """(user_id, unit_id): each active person's one unit (see the module's docstring)."""
    as_employee = func.min(case((Membership.role == MembershipRole.EMPLOYEE, Membership.unit_id)))
    return (
        select(
            Membership.user_id.label("user_id"),
            func.coalesce(as_employee, func.min(Membership.unit_id)).label("unit_id"),
        )
        .join(User, and_(User.id == Membership.user_id, User.is_active.is_(True)))
        .group_by(Membership.user_id)
    )


def _people(report_unit: dict[int, int]) -> dict[int, set[int]]:
    """Org unit → the active people counted in it (their one unit)."""
    people: dict[int, set[int]] = defaultdict(set)
    for user_id, unit_id in db.session.execute(_primary_units()):
        if unit_id in report_unit:
            people[unit_id].add(user_id)
    return people


def _took_part(period: Period) -> Select:
    """The people who took part in a cycle of the period (a people figure: ``contributors``)."""
    return (
        select(Participation.user_id)
        .join(Cycle, Cycle.id == Participation.cycle_id)
        .where(Cycle.preparation_starts_on.between(period.start, period.end))
    )


# --- the aggregates ---------------------------------------------------------------------------


def _aggregates(period: Period, report_unit: dict[int, int], today: date) -> list[Select]:
    """Queries yielding (org unit id, figure name, value), each one GROUP BY in the database.

    Members and contributors are not among them: they are people figures, counted from the
    people sets (``_people``, ``_took_part``) that the audit needs anyway."""
    start, end = period.bounds()
    in_period = Cycle.preparation_starts_on.between(period.start, period.end)
    queries: list[Select] = []
    cycles = select(Cycle.unit_id.label("unit_id")).where(in_period).group_by(Cycle.unit_id)
    queries += _figures(
        cycles,
        cycles_started=func.count(),
        cycles_completed=_sum(Cycle.phase == Phase.CLOSED),
        cycles_overdue=_sum(and_(Cycle.phase != Phase.CLOSED, Cycle.follow_up_on < today)),
    )
    actions = (
        select(Cycle.unit_id.label("unit_id"))
        .select_from(Action)
        .join(Cycle, Cycle.id == Action.cycle_id)
        .where(in_period)
    )
    queries += _figures(
        actions.group_by(Cycle.unit_id),
        actions_agreed=func.count(),
        actions_done=_sum(Action.status == ActionStatus.DONE),
        actions_overdue=_sum(and_(Action.status.in_(OPEN_ACTION_STATUSES), Action.due_on < today)),
    )
    for dimension in ("expectation", "kkc"):
        column = getattr(Action, dimension)
        queries.append(
            _distribution(
                actions.where(column.is_not(None)), Cycle.unit_id, column, dimension, "actions"
            )
        )
    examples = select(Example.unit_id.label("unit_id")).where(
        Example.created_at >= start, Example.created_at < end
    )
    queries.append(
        _distribution(
            examples.join(ExampleExpectation, ExampleExpectation.example_id == Example.id),
            Example.unit_id,
            ExampleExpectation.expectation,
            "expectation",
            "examples",
        )
    )
    for dimension in ("kkc", "olfa"):
        column = getattr(Example, dimension)
        queries.append(
            _distribution(
                examples.where(column.is_not(None)), Example.unit_id, column, dimension, "examples"
            )
        )
    return queries


def _sum(condition) -> object:
    return func.sum(case((condition, 1), else_=0))


def _figures(grouped: Select, **columns) -> list[Select]:
    """(unit_id, a, b, …) grouped once → one (unit_id, name, value) query per named column."""
    sub = grouped.add_columns(*(expr.label(name) for name, expr in columns.items())).subquery()
    return [select(sub.c.unit_id, _literal(name), sub.c[name]) for name in columns]


def _distribution(base: Select, unit, column, dimension: str, source: str) -> Select:
    """(unit_id, "dimension:value:source", count) grouped by unit and the column's value."""
    sub = (
        base.add_columns(column.label("value"), func.count().label("n"))
        .group_by(unit, column)
        .subquery()
    )
    name = _literal(f"{dimension}:") + sub.c.value + _literal(f":{source}")
    return select(sub.c.unit_id, name, sub.c.n)


def _literal(text: str):
    return literal(text, String)


def _examples_in(period: Period) -> int:
    start, end = period.bounds()
    return (
        db.session.scalar(
            select(func.count(Example.id)).where(
                Example.created_at >= start, Example.created_at < end
            )
        )
        or 0
    )


# --- into the anonymity rules -----------------------------------------------------------------


def _unit_figures(
    units: _Units, people: dict[int, set[int]], by_org_unit: dict[int, dict[str, int]]
) -> list[UnitFigures]:
    """One ``UnitFigures`` per row unit, its parts being the org units counted in it: the audit
    works on org units (count figures) and people (people figures), which a reorganisation
    moves independently of the rows."""
    parts: dict[int, list[Part]] = defaultdict(list)
    for org_unit, row in units.report_unit.items():
        counts = by_org_unit.get(org_unit, {})
        if counts or people.get(org_unit):
            parts[row].append(Part(_key(org_unit), frozenset(people.get(org_unit, ())), counts))
    return [
        UnitFigures(
            id=_key(u),
            parent_id=_key(units.parent[u]) if units.parent[u] else None,
            label=units.names[u],
            parts=tuple(parts[u]),
        )
        for u in units.names
    ]


def _key(unit_id: int) -> str:
    """Zero-padded, so the rules' order by id (siblings, ties) is the units' creation order."""
    return f"{unit_id:012d}"
