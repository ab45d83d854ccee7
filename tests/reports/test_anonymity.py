"""The anonymity engine: worked examples, then random trees, figures, reorganisations and reports,
each report checked by an independent LP (tests/reports/lp_check.py) on the raw people sets.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.reports.lp_check import Cell, interval, required_width, smallest_groups
from web.reports.anonymity import Part, PublishedRow, ShownRow, UnitFigures, protect, published

K = 5
# database=None: no .hypothesis directory in the shared tree; deadline=None: CI machines vary.
# derandomize: CI runs the same worlds every time (HYPOTHESIS_EXPLORE=1 explores new ones; a
# random exploration is how issue 14's open cases are found, see its closing note).
PROPERTY = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "40")),
    deadline=None,
    database=None,
    derandomize=not os.environ.get("HYPOTHESIS_EXPLORE"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- a small world: units, people, reorganisations -----------------------------------------


@dataclass
class World:
    parent: dict[str, str | None]
    home: dict[int, str]  # person -> unit
    took_part: dict[int, set[int]]  # period -> the people who took part in it
    actions: dict[int, dict[str, int]]  # period -> unit -> actions of the unit in the period

    def units(self, period: int) -> list[UnitFigures]:
        return [
            UnitFigures(
                u,
                p,
                u,
                (
                    Part(
                        u, frozenset(self.people_of(u)), {"actions": self.actions[period].get(u, 0)}
                    ),
                ),
            )
            for u, p in self.parent.items()
        ]

    def people_of(self, unit: str) -> set[int]:
        return {p for p, u in self.home.items() if u == unit}

    def subtree(self, unit: str) -> set[str]:
        found = {unit}
        for u, p in self.parent.items():
            if p == unit:
                found |= self.subtree(u)
        return found

    def snapshot(self) -> World:
        return World(dict(self.parent), dict(self.home), self.took_part, self.actions)


@dataclass
class Published:
    period: int
    world: World
    rows: list[ShownRow]
    stored: list[PublishedRow] = field(default_factory=list)


def run(world: World, period: int, history: list[Published]) -> Published:
    """One report, as the product makes it: against the overlapping earlier reports."""
    earlier = [r for h in history if h.period == period for r in h.stored]
    previous = history[-1].rows if history else []
    hidden = {(r.key, n) for r in previous for n, v in r.figures.items() if v is None}
    result = protect(
        world.units(period),
        {"contributors": frozenset(world.took_part[period])},
        K,
        earlier,
        hidden,
    )
    report = Published(period, world.snapshot(), result.rows, published(result.rows))
    history.append(report)
    return report


# --- the independent check --------------------------------------------------------------------


def row_sets(report: Published) -> list[tuple[set[int], set[str]]]:
    """Each row's people and org units, recomputed from the report's tree (not the engine's)."""
    w = report.world
    shown_units = {r.unit_id for r in report.rows if not r.is_other}
    sets = []
    for row in report.rows:
        units = w.subtree(row.unit_id)
        if row.is_other:
            for child in (u for u, p in w.parent.items() if p == row.unit_id):
                if child in shown_units:
                    units -= w.subtree(child)
        people = {p for p, u in w.home.items() if u in units}
        assert people == set(row.people), "the engine's row covers other people than its unit"
        sets.append((people, units))
    return sets


def cells_of(reports: Sequence[Published], name: str) -> list[Cell]:
    cells = []
    for report in reports:
        for row, (people, units) in zip(report.rows, row_sets(report), strict=True):
            value = row.figures[name]
            if value is None:
                continue
            if name == "contributors":
                truth = len(people & report.world.took_part[report.period])
                cells.append(Cell(frozenset(people), value))
            else:
                truth = sum(report.world.actions[report.period].get(u, 0) for u in units)
                cells.append(Cell(frozenset(units), value))
            assert value == truth, "a shown cell is not the true figure"
    return cells


def sensitive_people_groups(reports: Sequence[Published], took: set[int]) -> set[frozenset]:
    """The threat model's sensitive people figures: every unit of today's tree below k,
    every row and every smallest group the rows tell apart that is below k or counts 1..k-1
    people who took part or did not, and every difference of two rows below k."""
    rows = [people for r in reports for people, _ in row_sets(r)]
    small: set[frozenset] = set()
    # The units of today's tree; an earlier tree's units count through the rows they were in
    # (an earlier report's rows and today's tell them apart, or they were never published).
    latest = reports[-1].world
    for unit in latest.parent:
        small.add(frozenset(p for p, u in latest.home.items() if u in latest.subtree(unit)))
    for a, b in combinations(rows, 2):
        small |= {frozenset(a - b), frozenset(b - a), frozenset(a & b)}
    by_value = {frozenset(r) for r in rows} | smallest_groups(rows)
    return {g for g in small if 0 < len(g) < K} | {
        g for g in by_value if g and (len(g) < K or 0 < len(g & took) < K or 0 < len(g - took) < K)
    }


def sensitive_unit_groups(reports: Sequence[Published]) -> set[frozenset]:
    latest = reports[-1].world
    people = {u: len(latest.people_of(u)) for u in latest.parent}
    groups: set[frozenset] = {frozenset(latest.subtree(u)) for u in latest.parent}
    rows = [units for r in reports for _, units in row_sets(r)]
    for a, b in combinations(rows, 2):
        groups |= {frozenset(a - b), frozenset(b - a), frozenset(a & b)}
    return {g for g in groups if 0 < sum(people.get(u, 0) for u in g) < K}


def assert_nothing_narrower_than_k(history: list[Published]) -> None:
    latest = history[-1]
    same = [h for h in history if h.period == latest.period]
    before = same[:-1]
    took = latest.world.took_part[latest.period]
    for row in latest.rows:  # a shown people figure is never about 1..k-1 people
        if row.figures["contributors"] is not None and row.people_count:
            c, n = row.figures["contributors"], row.people_count
            assert n >= K and c in {0, n} | set(range(K, n - K + 1)), (row, c)
    checks = [
        ("contributors", True, sensitive_people_groups(same, took)),
        ("actions", False, sensitive_unit_groups(same)),
    ]
    for name, people, groups in checks:
        cells, old = cells_of(same, name), cells_of(before, name)
        for group in groups:
            lo, hi = interval(cells, group, people)
            if hi - lo >= required_width(len(group), K, people) - 1e-6:
                continue
            # Allowed only if the earlier reports alone already left it as narrow.
            old_lo, old_hi = interval(old, group, people)
            assert hi - lo >= old_hi - old_lo - 1e-6, (
                f"{name} of {sorted(group)} narrowed to [{lo}, {hi}] by the latest report"
            )


# --- worked examples --------------------------------------------------------------------------


def town(sizes: dict[str, tuple[str | None, int]]) -> World:
    parent, home, n = {}, {}, 0
    for unit, (up, size) in sizes.items():
        parent[unit] = up
        for _ in range(size):
            home[n] = unit
            n += 1
    return World(parent, home, {0: set(), 1: set()}, {0: {}, 1: {}})


def test_the_auditors_reorganisation_case_is_protected():
    # Report A: Administration 11 / 9 contributors, Rengøring 9 / 6. Then Rengøring moves under
    # Administration, one person moves in from Drift, five are hired in two other departments.
    w = town(
        {
            "R": (None, 0),
            "Adm": ("R", 11),
            "Reng": ("R", 9),
            "Drift": ("R", 12),
            "X": ("R", 10),
            "Y": ("R", 10),
        }
    )
    took = set()
    for unit, count in (("Adm", 9), ("Reng", 6), ("Drift", 7), ("X", 5), ("Y", 5)):
        took |= set(sorted(w.people_of(unit))[:count])
    w.took_part[0] = took
    w.actions[0] = {"Adm": 0, "Reng": 3, "Drift": 1, "X": 6, "Y": 0}
    history: list[Published] = []
    run(w, 0, history)
    assert_nothing_narrower_than_k(history)
    w.parent["Reng"] = "Adm"
    mover = sorted(w.people_of("Drift"))[0]
    w.home[mover] = "Adm"
    for unit in ("X", "Y"):
        for i in range(5):
            w.home[1000 + len(w.home) + i] = unit
    run(w, 0, history)
    assert_nothing_narrower_than_k(history)
    # The mover's participation is not derivable (it was exactly, by 21 - 11 - 9 and 16 - 9 - 6).
    lo, hi = interval(cells_of(history, "contributors"), {mover}, people=True)
    assert (lo, hi) == (0.0, 1.0)


def test_one_hire_does_not_blank_the_next_period():
    # A 4-person unit (merged in report A) gets a fifth person; the next period's report is
    # not constrained by A (other events) and shows the unit.
    w = town({"R": (None, 0), "Small": ("R", 4), "Big": ("R", 70), "Mid": ("R", 4)})
    w.took_part[0] = set(range(0, 40))
    w.took_part[1] = set(range(0, 50))
    history: list[Published] = []
    first = run(w, 0, history)
    assert "Small" not in {r.unit_id for r in first.rows if not r.is_other}
    w.home[500] = "Small"
    w.took_part[1] |= {500}
    second = run(w, 1, history)
    shown = {r.unit_id for r in second.rows if not r.is_other}
    assert {"R", "Small", "Big"} <= shown
    assert second.rows[0].figures["contributors"] is not None
    assert_nothing_narrower_than_k(history)


def test_hidden_cells_of_merged_units_are_not_exact():
    # Three small units with no overdue figure of their own: the other row would say 0 for all.
    w = town(
        {
            "R": (None, 0),
            "A": ("R", 2),
            "B": ("R", 3),
            "C": ("R", 2),
            "D": ("R", 20),
            "E": ("R", 20),
        }
    )
    w.took_part[0] = set(range(7, 17)) | set(range(27, 37))
    w.actions[0] = {"D": 7, "E": 9}
    history: list[Published] = []
    run(w, 0, history)
    assert_nothing_narrower_than_k(history)
    for unit in ("A", "B", "C"):
        lo, hi = interval(cells_of(history, "actions"), {unit}, people=False)
        assert hi - lo >= K


def test_a_municipality_below_k_shows_no_row_and_says_how_many():
    w = town({"R": (None, 0), "A": ("R", 3)})
    result = protect(w.units(0), {"contributors": frozenset()}, K)
    assert (result.rows, result.withheld_people) == ([], 3)


def test_k_below_three_is_refused():
    with pytest.raises(ValueError, match="at least 3"):
        protect([], {}, 2)


def test_a_shown_row_never_counts_one_to_k_minus_one_people():
    w = town({"R": (None, 0), "A": ("R", 20), "B": ("R", 9)})
    w.took_part[0] = {0, 1} | set(range(20, 24))  # 2 of 20, 4 of 9
    history: list[Published] = []
    report = run(w, 0, history)
    by_unit = {r.unit_id: r for r in report.rows if not r.is_other}
    assert by_unit["A"].figures["contributors"] is None
    assert by_unit["B"].figures["contributors"] is None
    assert by_unit["A"].people_count == 20  # the headcount is public context
    assert_nothing_narrower_than_k(history)


# --- properties -------------------------------------------------------------------------------


@st.composite
def worlds(draw) -> World:
    n_units = draw(st.integers(2, 8))
    parent: dict[str, str | None] = {"u0": None}
    for i in range(1, n_units):
        parent[f"u{i}"] = f"u{draw(st.integers(0, i - 1))}"
    sizes = draw(st.lists(st.integers(0, 12), min_size=n_units, max_size=n_units))
    home, n = {}, 0
    for i, size in enumerate(sizes):
        for _ in range(size):
            home[n] = f"u{i}"
            n += 1
    people = list(home)
    took = {
        period: set(draw(st.sets(st.sampled_from(people)))) if people else set()
        for period in (0, 1)
    }
    actions = {period: {u: draw(st.integers(0, 8)) for u in parent} for period in (0, 1)}
    return World(parent, home, took, actions)


steps = st.lists(
    st.one_of(
        st.tuples(st.just("report"), st.sampled_from((0, 0, 1))),
        st.tuples(st.just("hire"), st.integers(0, 7)),
        st.tuples(st.just("move_person"), st.integers(0, 200), st.integers(0, 7)),
        st.tuples(st.just("move_unit"), st.integers(1, 7), st.integers(0, 7)),
    ),
    min_size=1,
    max_size=5,
)


def apply(world: World, step: tuple, next_id: Iterable[int]) -> None:
    units = sorted(world.parent)
    kind = step[0]
    if kind == "hire":
        person = next(iter(next_id))
        world.home[person] = units[step[1] % len(units)]
        if step[1] % 2:
            world.took_part[0].add(person)
    elif kind == "move_person" and world.home:
        person = sorted(world.home)[step[1] % len(world.home)]
        world.home[person] = units[step[2] % len(units)]
    elif kind == "move_unit" and len(units) > 1:
        unit = units[1:][step[1] % (len(units) - 1)]
        target = units[step[2] % len(units)]
        if target not in world.subtree(unit):
            world.parent[unit] = target


@PROPERTY
@given(world=worlds(), plan=steps)
def test_no_sensitive_figure_is_derivable_narrower_than_k(world, plan):
    note(f"world={world!r} plan={plan!r}")
    history: list[Published] = []
    counter = iter(range(10_000, 20_000))
    run(world, 0, history)
    assert_nothing_narrower_than_k(history)
    for step in plan:
        if step[0] == "report":
            run(world, step[1], history)
            assert_nothing_narrower_than_k(history)
        else:
            apply(world, step, counter)
    run(world, 0, history)
    assert_nothing_narrower_than_k(history)


def _shown(report: Published) -> set[tuple[frozenset, str]]:
    return {(r.people, n) for r in report.rows for n, v in r.figures.items() if v is not None}


@PROPERTY
@given(
    world=worlds(),
    change=st.one_of(
        st.tuples(st.just("hire"), st.integers(0, 7)),
        st.tuples(st.just("move_person"), st.integers(0, 200), st.integers(0, 7)),
    ),
)
def test_one_hire_or_move_in_the_same_period_hides_only_rows_it_changed(world, change):
    """Report A, one hire or one move, report B of the same period: B hides no cell A showed
    except in rows whose people the change altered (the hire's or mover's units and their
    ancestors), and the independent audit finds nothing narrower than k."""
    note(f"world={world!r} change={change!r}")
    history: list[Published] = []
    a = run(world, 0, history)
    apply(world, change, iter(range(10_000, 20_000)))
    b = run(world, 0, history)
    assert_nothing_narrower_than_k(history)
    unchanged = {r.people for r in a.rows} & {r.people for r in b.rows}
    lost = {(people, n) for people, n in _shown(a) - _shown(b) if people in unchanged}
    assert not lost, f"{len(lost)} cells of rows the change did not touch were hidden"
