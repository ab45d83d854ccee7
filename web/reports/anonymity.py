"""Which figures of an anonymised report may be shown (the Hovedudvalg report).

The report is a table over the organisation tree: one row per shown unit with figures summed
over its whole subtree, and under each shown parent an "other units / not distributed" row for
everything of the parent that is not in a shown child. ``suppress`` decides which units get a
row of their own. It is pure: no Flask, no database; the caller passes the tree, k and the
groups of earlier reports.

Definitions (people are person ids; a person may sit in several units, e.g. a leader of two
teams, so the rules work on sets, not on counts):

- ``sub(U)``: the people of U's whole subtree.
- A *shown group* is the people set a row is about: ``sub(U)`` for a unit row; for the other
  row of P, the people of the units it sums: ``own(P) ∪ sub(C)`` over P's merged children C.
- ``residual(P) = sub(P) − ⋃ sub(C)`` over P's shown children C.

Rules, applied to a fixpoint (every merge can make another one necessary):

1. Size. No row is about fewer than k people (k per tenant, default 5, never below 3). A unit
   with ``|sub(U)| < k`` is merged, with its whole subtree, into its parent's other row; a root
   below k withholds its whole tree (no rows at all for a single-rooted tree).
2. Complementary suppression. Parent minus shown children must not give back a small group:
   for every shown parent with shown children, ``residual(P)`` and the other row's people are
   each empty or have at least k people. Otherwise the smallest shown child (fewest people,
   then lowest id) is merged into the other row, and the check repeats. With no shown child
   left, P is a plain row of at least k people and has no other row.
3. Differences. No two shown groups may differ by 1..k-1 people (the size of their symmetric
   difference); identical sets are fine. Of two such groups the smaller (then lower id) goes:
   a unit row is merged upwards; the other row of P can only change by absorbing P's smallest
   shown child. The same holds against groups published by earlier reports; those cannot be
   withdrawn, so the new group always goes. Order (the rules do not fix it; it decides how much
   is lost): clashes with published groups first, as they are forced; then the largest group in
   a clash first, as it wins all its clashes, so a group is never hidden for one that is itself
   hidden later. Greedy all the same: re-running with its own groups as ``published`` can show
   more rows, never a forbidden one.

Every merge removes at least one unit from the shown set and no rule brings one back, so the
loop ends after at most one merge per unit. The result does not depend on the input order.

Figures are additive per unit and each unit is summed exactly once, so for every shown parent:
parent row == shown children rows + its other row, figure by figure. The other row's figures
are about its people, which is why the rules treat that set (not only the residual) as a
group: a leader listed directly on a department *and* in its teams makes the department's own
figures a group of one, and rule 2 then merges a team to cover it. Attribute each figure to
one unit to avoid that.

Persist ``published_groups(rows)`` with a report and pass the union of earlier reports' groups
as ``published`` next time, so that two reports side by side do not reveal anyone either.
Note that this also withholds a whole tree whose root differs from a published root by 1..k-1
people. The rules cover rows, parent minus children and report against report; they do not
try every other combination of rows (which is a much harder problem).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

MIN_K = 3
DEFAULT_K = 5


@dataclass(frozen=True)
class UnitFigures:
    """One org unit's input: its own people and figures, not those of the units below it."""

    id: str
    parent_id: str | None  # None for a root
    label: str
    people: frozenset[int]  # the persons this unit's figures are about, directly in this unit
    figures: Mapping[str, int]  # additive counts for this unit alone, e.g. {"members": 12}


@dataclass(frozen=True)
class ShownRow:
    """One row of the report, in tree order."""

    unit_id: str  # the unit, or the parent's id for its other row
    label: str  # the unit's label; for an other row the parent's (the template words it)
    is_other: bool  # True for a parent's "other units / not distributed" row
    depth: int  # 0 for a root; an other row sits at its parent's children's depth
    people_count: int  # always >= k
    figures: dict[str, int]  # every figure name of the input, summed over the units the row covers
    # The group itself: persisted via published_groups(), never rendered; repr=False keeps ids out
    # of logs and tracebacks.
    people: frozenset[int] = field(repr=False)


def suppress(
    units: Sequence[UnitFigures], k: int = DEFAULT_K, published: Iterable[frozenset[int]] = ()
) -> list[ShownRow]:
    """The rows that may be shown, in tree order; an empty list when nothing may be shown.

    Raises ValueError for k < 3, duplicate or unknown unit ids, a cycle, or a unit with figures
    but no people (a figure is always about someone).
    """
    if k < MIN_K:
        raise ValueError(f"k must be at least {MIN_K}, got {k}")
    tree = _Tree.build(units)
    earlier = _Published(published, k)
    shown = {u for u in tree.preorder if len(tree.people[u]) >= k}  # rule 1; closed upwards
    while (victim := _next_merge(tree, shown, k, earlier)) is not None:
        shown -= tree.subtree_ids[victim]
    return _rows(tree, shown)


def published_groups(rows: Iterable[ShownRow]) -> frozenset[frozenset[int]]:
    """The people sets a report made visible, to pass as ``published`` to the next report."""
    return frozenset(row.people for row in rows)


# --- the tree -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tree:
    units: Mapping[str, UnitFigures]
    children: Mapping[str, tuple[str, ...]]  # sorted by id, so the result ignores input order
    roots: tuple[str, ...]
    preorder: tuple[str, ...]
    depth: Mapping[str, int]
    subtree_ids: Mapping[str, frozenset[str]]
    own: Mapping[str, frozenset[int]]  # own(U), frozen even if the caller passed a set
    people: Mapping[str, frozenset[int]]  # sub(U)
    figure_names: tuple[str, ...]

    @classmethod
    def build(cls, units: Sequence[UnitFigures]) -> _Tree:
        by_id = _index(units)
        children: dict[str, list[str]] = {u: [] for u in by_id}
        roots = []
        for unit in by_id.values():
            if unit.parent_id is None:
                roots.append(unit.id)
            elif unit.parent_id in by_id:
                children[unit.parent_id].append(unit.id)
            else:
                raise ValueError(f"unit {unit.id!r} has unknown parent {unit.parent_id!r}")
        kids = {u: tuple(sorted(c)) for u, c in children.items()}
        preorder, depth = _walk(sorted(roots), kids)
        if len(preorder) != len(by_id):
            raise ValueError("the units contain a cycle")
        own = {u: frozenset(unit.people) for u, unit in by_id.items()}
        subtree_ids: dict[str, frozenset[str]] = {}
        people: dict[str, frozenset[int]] = {}
        for u in reversed(preorder):  # children before parents
            subtree_ids[u] = frozenset({u}).union(*(subtree_ids[c] for c in kids[u]))
            people[u] = own[u].union(*(people[c] for c in kids[u]))
        names = sorted({name for unit in by_id.values() for name in unit.figures})
        return cls(by_id, kids, tuple(sorted(roots)), tuple(preorder), depth, subtree_ids, own,
                   people, tuple(names))

    def shown_children(self, parent: str, shown: set[str]) -> list[str]:
        return [c for c in self.children[parent] if c in shown]

    def smallest(self, unit_ids: Iterable[str]) -> str:
        return min(unit_ids, key=lambda u: (len(self.people[u]), u))


def _index(units: Sequence[UnitFigures]) -> dict[str, UnitFigures]:
    by_id: dict[str, UnitFigures] = {}
    for unit in units:
        if unit.id in by_id:
            raise ValueError(f"duplicate unit id {unit.id!r}")
        if not unit.people and any(unit.figures.values()):
            raise ValueError(f"unit {unit.id!r} has figures but no people they are about")
        by_id[unit.id] = unit
    return by_id


def _walk(
    roots: list[str], kids: Mapping[str, tuple[str, ...]]
) -> tuple[list[str], dict[str, int]]:
    """Pre-order from the roots; units in a cycle are never reached."""
    order: list[str] = []
    depth: dict[str, int] = {}
    stack = [(r, 0) for r in reversed(roots)]
    while stack:
        unit, d = stack.pop()
        order.append(unit)
        depth[unit] = d
        stack.extend((c, d + 1) for c in reversed(kids[unit]))
    return order, depth


# --- the rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    people: frozenset[int]
    unit_id: str  # the unit, or the parent of an other row
    is_other: bool

    @property
    def key(self) -> tuple[int, str, bool]:
        return (len(self.people), self.unit_id, self.is_other)  # "smaller, then lower id" goes


class _Published:
    """Earlier reports' groups, indexed by size: only sizes within k-1 can be too close."""

    def __init__(self, groups: Iterable[frozenset[int]], k: int) -> None:
        self._k = k
        self._by_size: dict[int, set[frozenset[int]]] = {}
        for group in groups:
            self._by_size.setdefault(len(group), set()).add(frozenset(group))

    def too_close(self, people: frozenset[int]) -> bool:
        n = len(people)
        return any(
            _too_close(people, old, self._k)
            for size in range(n - self._k + 1, n + self._k)
            for old in self._by_size.get(size, ())
        )


def _too_close(a: frozenset[int], b: frozenset[int], k: int) -> bool:
    return abs(len(a) - len(b)) < k and 0 < len(a ^ b) < k


def _other_people(tree: _Tree, parent: str, shown: set[str]) -> frozenset[int]:
    hidden = [c for c in tree.children[parent] if c not in shown]
    return tree.own[parent].union(*(tree.people[c] for c in hidden))


def _next_merge(tree: _Tree, shown: set[str], k: int, published: _Published) -> str | None:
    """The next unit to merge into its parent's other row (a root: withhold it), or None."""
    for parent in tree.preorder:
        if parent in shown and (victim := _residual_merge(tree, shown, k, parent)) is not None:
            return victim
    largest_first = sorted(_groups(tree, shown), key=lambda g: g.key, reverse=True)
    # Unit rows first: their sets never change, so a clash with a published group is final.
    for group in sorted(largest_first, key=lambda g: g.is_other):
        if published.too_close(group.people):
            return _merge_for(tree, shown, group)
    # The largest group in any clash wins all its clashes, so its partners go for certain;
    # settling smaller clashes first could hide a group for one that is hidden later anyway.
    for i, winner in enumerate(largest_first):
        if (loser := _first_too_close(winner, largest_first[i + 1:], k)) is not None:
            return _merge_for(tree, shown, loser)
    return None


def _residual_merge(tree: _Tree, shown: set[str], k: int, parent: str) -> str | None:
    children = tree.shown_children(parent, shown)
    if not children:
        return None
    residual = tree.people[parent].difference(*(tree.people[c] for c in children))
    other = _other_people(tree, parent, shown)
    if all(len(s) == 0 or len(s) >= k for s in (residual, other)):
        return None
    return tree.smallest(children)


def _groups(tree: _Tree, shown: set[str]) -> Iterable[_Group]:
    for unit in tree.preorder:
        if unit not in shown:
            continue
        yield _Group(tree.people[unit], unit, is_other=False)
        if tree.shown_children(unit, shown) and (other := _other_people(tree, unit, shown)):
            yield _Group(other, unit, is_other=True)


def _first_too_close(winner: _Group, smaller: Sequence[_Group], k: int) -> _Group | None:
    """The largest of the smaller groups too close to ``winner``; stop once sizes are k apart."""
    for group in smaller:
        if len(winner.people) - len(group.people) >= k:
            return None
        if _too_close(winner.people, group.people, k):
            return group
    return None


def _merge_for(tree: _Tree, shown: set[str], group: _Group) -> str:
    # An other row cannot be hidden by itself (parent minus children gives it back); it changes
    # only by absorbing a child, and vanishes once no shown child is left.
    if group.is_other:
        return tree.smallest(tree.shown_children(group.unit_id, shown))
    return group.unit_id


# --- the rows -------------------------------------------------------------------------------------


def _rows(tree: _Tree, shown: set[str]) -> list[ShownRow]:
    rows: list[ShownRow] = []
    for root in tree.roots:
        if root in shown:
            _emit(tree, shown, root, rows)
    return rows


def _emit(tree: _Tree, shown: set[str], unit: str, rows: list[ShownRow]) -> None:
    """The unit's row, its shown children's rows, then its other row (org trees are shallow)."""
    rows.append(_row(tree, unit, tree.subtree_ids[unit], tree.people[unit], is_other=False))
    children = tree.shown_children(unit, shown)
    for child in children:
        _emit(tree, shown, child, rows)
    other = _other_people(tree, unit, shown)
    if children and other:
        covered = tree.subtree_ids[unit].difference(*(tree.subtree_ids[c] for c in children))
        rows.append(_row(tree, unit, covered, other, is_other=True))


def _row(
    tree: _Tree, unit: str, covered: Iterable[str], people: frozenset[int], *, is_other: bool
) -> ShownRow:
    figures = dict.fromkeys(tree.figure_names, 0)
    for u in covered:  # each unit once, so parent == shown children + other, figure by figure
        for name, value in tree.units[u].figures.items():
            figures[name] += value
    return ShownRow(
        unit_id=unit,
        label=tree.units[unit].label,
        is_other=is_other,
        depth=tree.depth[unit] + (1 if is_other else 0),
        people_count=len(people),
        figures=figures,
        people=people,
    )
