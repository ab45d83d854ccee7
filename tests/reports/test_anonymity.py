"""The anonymity rules of the Hovedudvalg report: worked examples, then properties on random trees.

The property tests check every result against a small, independent oracle (subtree people and
figures recomputed from the input) rather than against the implementation's own helpers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from web.reports.anonymity import ShownRow, UnitFigures, published_groups, suppress

FIGURES = ("actions_done", "contributors", "members")

# database=None: no .hypothesis directory in the shared tree; deadline=None: CI machines vary.
PROPERTY = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def unit(uid: str, parent: str | None, people: Iterable[int], **figures: int) -> UnitFigures:
    """A unit whose figures default to its member count, which makes sums easy to read."""
    members = frozenset(people)
    return UnitFigures(uid, parent, f"Unit {uid}", members, {"members": len(members), **figures})


def layout(rows: Sequence[ShownRow]) -> list[tuple[str, bool, int, int]]:
    return [(r.unit_id, r.is_other, r.depth, r.people_count) for r in rows]


# --- worked examples ------------------------------------------------------------------------


def test_small_team_is_merged_and_its_sibling_with_it():
    # D = 9 people. A (3) is below k. Showing B (6) next to D would give D - B = A's 3 people
    # back, so B is merged too and only the department's total remains.
    units = [unit("D", None, []), unit("A", "D", range(1, 4)), unit("B", "D", range(4, 10))]

    rows = suppress(units, k=5)

    assert layout(rows) == [("D", False, 0, 9)]
    assert rows[0].figures == {"members": 9}


def test_other_row_collects_the_merged_teams():
    # Leader 0 sits on D itself; A (3) is too small; the residual {0, A} = 4 < 5, so the
    # smallest shown team, B (6), joins it: other = {0} + A + B = 10. C (7) keeps its row.
    units = [
        unit("D", None, [0]),
        unit("A", "D", range(1, 4)),
        unit("B", "D", range(4, 10)),
        unit("C", "D", range(10, 17)),
    ]

    rows = suppress(units, k=5)

    assert layout(rows) == [("D", False, 0, 17), ("C", False, 1, 7), ("D", True, 1, 10)]
    assert [r.figures["members"] for r in rows] == [17, 7, 10]
    assert rows[2].label == "Unit D"  # the template words the other row from is_other


def test_rows_come_in_tree_order_with_other_rows_after_the_children():
    units = [
        unit("R", None, []),
        unit("D2", "R", range(40, 46)),
        unit("D1", "R", []),
        unit("T2", "D1", range(20, 27)),
        unit("T1", "D1", range(10, 16)),
        unit("T3", "D1", range(30, 32)),
        unit("T4", "D2", range(50, 56)),
    ]

    rows = suppress(units, k=5)

    # D1: T3 (2) is too small, and its 2 people need company, so T1 (6, smaller than T2's 7)
    # joins them in D1's other row (8). D2's own 6 people form its other row next to T4.
    assert layout(rows) == [
        ("R", False, 0, 27),
        ("D1", False, 1, 15),
        ("T2", False, 2, 7),
        ("D1", True, 2, 8),
        ("D2", False, 1, 12),
        ("T4", False, 2, 6),
        ("D2", True, 2, 6),
    ]
    assert rows[0].figures == {"members": 27}


def test_department_whose_only_team_differs_by_two_shows_only_the_department():
    units = [unit("D", None, [1, 2]), unit("T", "D", range(3, 9))]

    assert layout(suppress(units, k=5)) == [("D", False, 0, 8)]


def test_overlapping_groups_that_differ_by_few_are_not_both_shown():
    # A project group P shares six people with team T: |T ^ P| = 3 < 5, so P (the smaller) goes.
    # Then D - T - Q = {9}, so T, the smallest shown child, joins P in the other row.
    units = [
        unit("D", None, []),
        unit("T", "D", range(1, 9)),
        unit("P", "D", [*range(1, 7), 9]),
        unit("Q", "D", range(10, 21)),
    ]

    rows = suppress(units, k=5)

    assert layout(rows) == [("D", False, 0, 20), ("Q", False, 1, 11), ("D", True, 1, 9)]
    # Figures are per unit, so the overlap is counted once per unit it was counted in.
    assert [r.figures["members"] for r in rows] == [26, 11, 15]


def test_group_differing_by_one_from_a_published_group_is_suppressed():
    # Last report showed {1..5}; A = {1..6} now would reveal person 6. A goes; the other row would
    # then be A again, so B (the smallest shown team) joins it.
    units = [
        unit("D", None, []),
        unit("A", "D", range(1, 7)),
        unit("B", "D", range(7, 13)),
        unit("C", "D", range(13, 21)),
    ]

    rows = suppress(units, k=5, published=[frozenset(range(1, 6))])

    assert layout(rows) == [("D", False, 0, 20), ("C", False, 1, 8), ("D", True, 1, 12)]


def test_identical_published_group_is_allowed():
    units = [unit("D", None, range(1, 6)), unit("T", "D", range(6, 12))]
    first = suppress(units, k=5)

    assert layout(first) == [("D", False, 0, 11), ("T", False, 1, 6), ("D", True, 1, 5)]
    assert suppress(units, k=5, published=published_groups(first)) == first


def test_root_below_k_shows_nothing():
    assert suppress([unit("R", None, range(3)), unit("T", "R", [9])], k=5) == []


def test_root_differing_by_one_from_a_published_root_shows_nothing():
    assert suppress([unit("R", None, range(10))], k=5, published=[frozenset(range(11))]) == []


def test_k_defaults_to_five():
    units = [unit("D", None, range(10)), unit("T", "D", range(10, 14))]

    assert layout(suppress(units)) == [("D", False, 0, 14)]


def test_published_groups_are_the_people_sets_of_the_rows():
    units = [unit("D", None, range(1, 6)), unit("T", "D", range(6, 12))]

    assert published_groups(suppress(units, k=5)) == {
        frozenset(range(1, 12)), frozenset(range(6, 12)), frozenset(range(1, 6)),
    }


def test_row_repr_does_not_list_person_ids():
    (row,) = suppress([unit("D", None, [101, 102, 103, 104, 105])], k=5)

    assert "101" not in repr(row)


@pytest.mark.parametrize(
    ("units", "message"),
    [
        ([unit("A", None, []), unit("A", None, [])], "duplicate"),
        ([unit("A", "nowhere", [])], "unknown parent"),
        ([unit("A", "B", []), unit("B", "A", [])], "cycle"),
        ([UnitFigures("A", None, "A", frozenset(), {"members": 2})], "no people"),
    ],
)
def test_malformed_input_is_refused(units, message):
    with pytest.raises(ValueError, match=message):
        suppress(units, k=5)


# --- random trees ---------------------------------------------------------------------------


@st.composite
def forests(draw: st.DrawFn, *, overlapping: bool) -> list[UnitFigures]:
    """Up to 30 units, mostly one tree; ids shuffled so tie-breaks by id are not tree order."""
    n = draw(st.integers(1, 30))
    names = draw(st.permutations([f"u{i:02d}" for i in range(n)]))
    extra_roots = draw(st.booleans())
    parents: list[int | None] = [None]
    for i in range(1, n):
        root = extra_roots and draw(st.integers(0, 9)) == 0
        parents.append(None if root else draw(st.integers(0, i - 1)))
    people = _overlapping_people(draw, n) if overlapping else _disjoint_people(draw, n)
    return [
        UnitFigures(names[i], None if parents[i] is None else names[parents[i]], names[i],
                    people[i], _figures(draw, people[i]))
        for i in range(n)
    ]


def _disjoint_people(draw: st.DrawFn, n: int) -> list[frozenset[int]]:
    sizes = [draw(st.integers(0, 8)) for _ in range(n)]
    starts = [sum(sizes[:i]) for i in range(n)]
    return [frozenset(range(s, s + size)) for s, size in zip(starts, sizes, strict=True)]


def _overlapping_people(draw: st.DrawFn, n: int) -> list[frozenset[int]]:
    # Half fresh sets from a small pool, half near-copies of an earlier unit, so that groups that
    # differ by only a few people (the difference rule's business) are common.
    pool = st.integers(0, 40)
    sets: list[frozenset[int]] = []
    for _ in range(n):
        if sets and draw(st.booleans()):
            base = draw(st.sampled_from(sets))
            added = draw(st.frozensets(pool, max_size=2))
            removed = draw(st.frozensets(st.sampled_from(sorted(base)), max_size=2)) \
                if base else frozenset()
            sets.append((base | added) - removed)
        else:
            sets.append(draw(st.frozensets(pool, max_size=8)))
    return sets


def _figures(draw: st.DrawFn, people: frozenset[int]) -> dict[str, int]:
    if not people:
        return {}  # a figure is always about someone
    return {
        "members": len(people),
        "contributors": draw(st.integers(0, len(people))),
        "actions_done": draw(st.integers(0, 10)),
    }


@st.composite
def published_near(draw: st.DrawFn, units: list[UnitFigures]) -> list[frozenset[int]]:
    """Earlier groups: mostly subtree people sets nudged by 0..3 people, to provoke conflicts."""
    oracle = Oracle(units)
    groups = []
    for _ in range(draw(st.integers(0, 4))):
        base = oracle.sub_people(draw(st.sampled_from(sorted(oracle.units))))
        added = draw(st.frozensets(st.integers(0, 300), max_size=2))
        removed = draw(st.frozensets(st.sampled_from(sorted(base)), max_size=1)) \
            if base else frozenset()
        groups.append((base | added) - removed)
    return groups


class Oracle:
    """The tree recomputed naively from the input, to judge results independently."""

    def __init__(self, units: Sequence[UnitFigures]) -> None:
        self.units = {u.id: u for u in units}

    def children(self, uid: str) -> list[str]:
        return sorted(u.id for u in self.units.values() if u.parent_id == uid)

    def subtree(self, uid: str) -> list[str]:
        return [uid, *(v for c in self.children(uid) for v in self.subtree(c))]

    def sub_people(self, uid: str) -> frozenset[int]:
        return frozenset().union(*(self.units[v].people for v in self.subtree(uid)))

    def sum_figures(self, uids: Iterable[str]) -> dict[str, int]:
        return {name: sum(self.units[v].figures.get(name, 0) for v in uids) for name in FIGURES}


def too_close(a: frozenset[int], b: frozenset[int], k: int) -> bool:
    return 0 < len(a ^ b) < k


def assert_rules_hold(units: list[UnitFigures], k: int, published: Sequence[frozenset[int]],
                      rows: list[ShownRow]) -> None:
    oracle = Oracle(units)
    shown = {r.unit_id for r in rows if not r.is_other}
    unit_rows = {r.unit_id: r for r in rows if not r.is_other}
    other_rows = {r.unit_id: r for r in rows if r.is_other}

    for row in rows:
        assert row.people_count >= k
        assert row.people_count == len(row.people)
    for uid, row in unit_rows.items():
        assert row.people == oracle.sub_people(uid)
        assert row.figures == oracle.sum_figures(oracle.subtree(uid))
        parent = oracle.units[uid].parent_id
        assert parent is None or parent in shown  # a merged unit takes its subtree with it

    for uid in shown:
        kids = [c for c in oracle.children(uid) if c in shown]
        merged = [c for c in oracle.children(uid) if c not in shown]
        if not kids:
            assert uid not in other_rows
            continue
        residual = oracle.sub_people(uid).difference(*(oracle.sub_people(c) for c in kids))
        assert len(residual) == 0 or len(residual) >= k
        other_people = oracle.units[uid].people.union(*(oracle.sub_people(c) for c in merged))
        other = other_rows.get(uid)
        assert (other.people if other else frozenset()) == other_people
        # Conservation: the parent is exactly its shown children plus its other row.
        parts = [unit_rows[c].figures for c in kids] + ([other.figures] if other else [])
        assert unit_rows[uid].figures == {n: sum(p[n] for p in parts) for n in FIGURES}

    groups = [r.people for r in rows]
    for i, a in enumerate(groups):
        assert not any(too_close(a, b, k) for b in groups[i + 1:])
        assert not any(too_close(a, old, k) for old in published)

    assert layout(rows) == expected_layout(oracle, shown, other_rows)


def expected_layout(oracle: Oracle, shown: set[str],
                    other_rows: dict[str, ShownRow]) -> list[tuple[str, bool, int, int]]:
    """Pre-order, children by id, each parent's other row after its children."""
    out: list[tuple[str, bool, int, int]] = []

    def visit(uid: str, depth: int) -> None:
        out.append((uid, False, depth, len(oracle.sub_people(uid))))
        for child in oracle.children(uid):
            if child in shown:
                visit(child, depth + 1)
        if uid in other_rows:
            out.append((uid, True, depth + 1, other_rows[uid].people_count))

    for root in sorted(u.id for u in oracle.units.values() if u.parent_id is None):
        if root in shown:
            visit(root, 0)
    return out


@PROPERTY
@given(data=st.data(), k=st.integers(3, 7), overlapping=st.booleans())
def test_rules_hold_on_random_trees(data: st.DataObject, k: int, overlapping: bool):
    units = data.draw(forests(overlapping=overlapping))
    published = data.draw(published_near(units))

    rows = suppress(units, k, published)

    assert_rules_hold(units, k, published, rows)


@PROPERTY
@given(units=forests(overlapping=False), k=st.integers(3, 7))
def test_people_add_up_when_memberships_do_not_overlap(units: list[UnitFigures], k: int):
    rows = suppress(units, k)
    oracle = Oracle(units)
    counts = {(r.unit_id, r.is_other): r.people_count for r in rows}

    for (uid, is_other), count in counts.items():
        kids = [c for c in oracle.children(uid) if (c, False) in counts]
        if not is_other and kids:
            assert count == sum(counts[c, False] for c in kids) + counts.get((uid, True), 0)


@PROPERTY
@given(units=forests(overlapping=False), k=st.integers(3, 7))
def test_a_single_tree_is_shown_whenever_its_root_may_be(units: list[UnitFigures], k: int):
    # Guards against the trivially safe answer "show nothing": without published groups, a lone
    # root with at least k people always keeps its row.
    roots = [u for u in units if u.parent_id is None]
    rows = suppress(units, k)
    root_people = Oracle(units).sub_people(roots[0].id)

    if len(roots) == 1:
        assert bool(rows) == (len(root_people) >= k)


@PROPERTY
@given(data=st.data(), k=st.integers(3, 7), overlapping=st.booleans())
def test_result_is_deterministic_and_ignores_input_order(data: st.DataObject, k: int,
                                                         overlapping: bool):
    units = data.draw(forests(overlapping=overlapping))
    published = data.draw(published_near(units))
    shuffled = data.draw(st.permutations(units))

    first = suppress(units, k, published)

    assert suppress(units, k, published) == first
    assert suppress(shuffled, k, list(reversed(published))) == first


@settings(max_examples=20, deadline=None, database=None)
@given(k=st.integers(-3, 2))
def test_k_below_three_is_refused(k: int):
    with pytest.raises(ValueError, match="k must be at least 3"):
        suppress([unit("D", None, range(10))], k)
