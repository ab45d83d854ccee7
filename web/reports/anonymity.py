"""Which figures of an anonymised report may be shown: primary suppression, an exact audit by
linear programming, and secondary (cell) suppression chosen by an optimiser.

Pure: no Flask, no database. The caller passes the tree of report units (each with the org
units it covers, the people counted in them and their counts), the people columns (who has the
property, e.g. who contributed), k, and the published rows of every earlier report to the same
audience whose period overlaps this one (``PublishedRow``, stored with each report).

THE THREAT MODEL (README "Anonymity", and the report's "Om tallene" say the same in words).
The reader knows the org tree, every unit's headcount and who works where, and holds every
report published to the same audience: all periods, before and after any reorganisation.

- Public context: the rows, their units and their member counts (``members`` is the headcount
  the reader knows already). Never hidden.
- About people: every other figure. *People figures* count people with a property
  (``contributors``; members who did not contribute are ``members - contributors``, so they
  are the same figure). *Count figures* (cycles, actions, the distributions) count a unit's
  events; they are about that unit's people.
- Primary suppression (what is *sensitive*): every figure of a group of 1..k-1 people (a unit
  of the tree, a row, any of the smallest groups the published rows distinguish: their
  *atoms*, such as "report B's department minus report A's two departments", and any
  difference or intersection of two rows); and a people figure that counts 1..k-1 people, or
  leaves 1..k-1 people out, of a row or an atom. Zeros and
  full cells of a group of at least k people are not sensitive in themselves (they say
  something about the whole group); they are audited like any figure, so a zero that would
  make a smaller group's figure exact is hidden (the optimiser decides).
- Protection: a sensitive figure is protected when the published figures leave its feasible
  interval (the LP over the atoms, below) at least ``min(k, n)`` wide for a people figure of a
  group of n people (so for a group below k: the whole range 0..n, the reader learns nothing
  the headcount does not say) and at least k wide for a count figure; or when the interval is
  no narrower than the earlier reports alone already made it (this report reveals nothing
  new). The LP is continuous (as an outside auditor's HiGHS audit is): the bound is on what any
  linear reasoning over the published figures can derive.
- k: per tenant, never below 3, fixed for a report series (the caller passes it).

The audit, per figure: the people (for people figures) or the org units (for count figures)
of every published row and every sensitive group are cut into atoms (elements with the same
memberships). A published cell is an equality ``sum of its atoms = value``; a people atom's
variable lies in [0, its size], a count atom's in [0, inf). HiGHS (``scipy.optimize.linprog``)
minimises and maximises each sensitive figure over that polytope; the optima found are kept as
feasible points, and a figure whose values at those points already span its width needs no LP
of its own. Figures are audited one at a time: relations between figures (done <= agreed) are
not used by the audit. Why scipy rather than pytauargus: a well-kept wheel with HiGHS inside
for both the LP and the MIP and no external binary, and the audit spans rows of several
reports over atoms, which tau-ARGUS's one-table input does not express.

Secondary suppression, per figure: a mixed-integer programme (``scipy.optimize.milp``, HiGHS)
chooses the cheapest set of cells to hide such that, for every sensitive figure in its active
set, two tables exist that agree with every shown cell and every earlier report and differ in
that figure by the required width (Fischetti and Salazar's model of cell suppression). Cost:
the people of the row (hiding a big row costs more), halved for a cell hidden in the previous
report of the series too, so the pattern stays across periods where the data allows. The
active set starts with the cells that are sensitive themselves and grows with every figure the
exact audit finds unprotected, until the audit passes (it must: the chosen tables are proofs).
If the programme cannot be solved, every cell of that figure is hidden.

Rows: a unit of the tree with at least k people gets a row (with its whole subtree); units
below k are merged into their parent's "other units / not distributed" row, which holds
everything of a shown parent that is not in a shown child. Every row shows its members; a
hidden cell is ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

MIN_K = 3
DEFAULT_K = 5
TOLERANCE = 1e-6
MAX_ROUNDS = 12


@dataclass(frozen=True)
class Part:
    """The finest thing figures are attributed to: one org unit, its people and its counts."""

    id: str
    people: frozenset[int]  # the persons counted here (each person in one part)
    counts: Mapping[str, int] = field(default_factory=dict)  # count figures of this org unit


@dataclass(frozen=True)
class UnitFigures:
    """One unit of the report's tree (an area or department) and the parts it covers itself."""

    id: str
    parent_id: str | None  # None for a root
    label: str
    parts: tuple[Part, ...] = ()


@dataclass(frozen=True)
class ShownRow:
    """One row of the report, in tree order."""

    unit_id: str  # the unit, or the parent's id for its other row
    label: str
    is_other: bool  # True for a parent's "other units / not distributed" row
    depth: int
    people_count: int  # the members: public context
    figures: dict[str, int | None]  # None: hidden
    people: frozenset[int] = field(repr=False)  # for the audit of later reports; never shown
    parts: frozenset[str] = field(repr=False)

    @property
    def key(self) -> str:
        return f"{self.unit_id}:{'other' if self.is_other else 'unit'}"


@dataclass(frozen=True)
class PublishedRow:
    """A row of an earlier report, as stored with it: who and what it covered, what it showed."""

    key: str
    people: frozenset[int]
    parts: frozenset[str]
    cells: Mapping[str, int]  # the shown cells only (hidden ones are absent)


@dataclass
class Result:
    rows: list[ShownRow]
    withheld_people: int = 0  # people of roots below k (no row at all)
    stats: dict[str, int] = field(default_factory=dict)

    def hidden_keys(self) -> set[tuple[str, str]]:
        return {(r.key, name) for r in self.rows for name, v in r.figures.items() if v is None}


def protect(
    units: Sequence[UnitFigures],
    people_columns: Mapping[str, frozenset[int]],
    k: int,
    earlier: Sequence[PublishedRow] = (),
    previously_hidden: Iterable[tuple[str, str]] = (),
) -> Result:
    """The rows and the cells that may be shown.

    ``people_columns`` maps a people figure's name to the persons who have the property.
    Raises ValueError for k < 3, duplicate or unknown unit ids, or a cycle.
    """
    if k < MIN_K:
        raise ValueError(f"k must be at least {MIN_K}, got {k}")
    tree = _Tree.build(units)
    shown = {u for u in tree.preorder if len(tree.people[u]) >= k}
    rows = _rows(tree, shown)
    withheld = sum(len(tree.people[r]) for r in tree.roots if r not in shown)
    count_names = sorted({n for u in units for p in u.parts for n in p.counts})
    previous = set(previously_hidden)
    stats = {
        "cells": 0,
        "hidden_primary": 0,
        "hidden_secondary": 0,
        "rounds": 0,
        "columns_fully_hidden": 0,
    }
    for name in people_columns:
        column = _Column.people(name, tree, rows, people_columns[name], k, earlier)
        _suppress_column(column, rows, previous, stats)
    for name in count_names:
        column = _Column.counts(name, tree, rows, k, earlier)
        _suppress_column(column, rows, previous, stats)
    return Result(rows=rows, withheld_people=withheld, stats=stats)


def published(rows: Iterable[ShownRow]) -> list[PublishedRow]:
    return [
        PublishedRow(
            r.key, r.people, r.parts, {n: v for n, v in r.figures.items() if v is not None}
        )
        for r in rows
    ]


# --- the tree -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tree:
    units: Mapping[str, UnitFigures]
    children: Mapping[str, tuple[str, ...]]
    roots: tuple[str, ...]
    preorder: tuple[str, ...]
    depth: Mapping[str, int]
    people: Mapping[str, frozenset[int]]  # the subtree's people
    parts: Mapping[str, frozenset[str]]  # the subtree's parts
    part_people: Mapping[str, frozenset[int]]
    part_counts: Mapping[str, Mapping[str, int]]

    @classmethod
    def build(cls, units: Sequence[UnitFigures]) -> _Tree:
        by_id: dict[str, UnitFigures] = {}
        for unit in units:
            if unit.id in by_id:
                raise ValueError(f"duplicate unit id {unit.id!r}")
            by_id[unit.id] = unit
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
        order: list[str] = []
        depth: dict[str, int] = {}
        stack = [(r, 0) for r in sorted(roots, reverse=True)]
        while stack:
            unit_id, d = stack.pop()
            order.append(unit_id)
            depth[unit_id] = d
            stack.extend((c, d + 1) for c in reversed(kids[unit_id]))
        if len(order) != len(by_id):
            raise ValueError("the units contain a cycle")
        part_people = {p.id: frozenset(p.people) for u in units for p in u.parts}
        part_counts = {p.id: dict(p.counts) for u in units for p in u.parts}
        people: dict[str, frozenset[int]] = {}
        parts: dict[str, frozenset[str]] = {}
        for u in reversed(order):
            own_parts = frozenset(p.id for p in by_id[u].parts)
            parts[u] = own_parts.union(*(parts[c] for c in kids[u]))
            people[u] = frozenset().union(
                *(part_people[p] for p in own_parts), *(people[c] for c in kids[u])
            )
        return cls(
            by_id,
            kids,
            tuple(sorted(roots)),
            tuple(order),
            depth,
            people,
            parts,
            part_people,
            part_counts,
        )


def _rows(tree: _Tree, shown: set[str]) -> list[ShownRow]:
    rows: list[ShownRow] = []

    def emit(unit: str) -> None:
        rows.append(_row(tree, unit, tree.people[unit], tree.parts[unit], is_other=False))
        children = [c for c in tree.children[unit] if c in shown]
        for child in children:
            emit(child)
        if children:
            people = tree.people[unit].difference(*(tree.people[c] for c in children))
            parts = tree.parts[unit].difference(*(tree.parts[c] for c in children))
            if people or any(any(tree.part_counts[p].values()) for p in parts):
                rows.append(_row(tree, unit, people, parts, is_other=True))

    for root in tree.roots:
        if root in shown:
            emit(root)
    return rows


def _row(
    tree: _Tree, unit: str, people: frozenset[int], parts: frozenset[str], *, is_other: bool
) -> ShownRow:
    return ShownRow(
        unit_id=unit,
        label=tree.units[unit].label,
        is_other=is_other,
        depth=tree.depth[unit] + (1 if is_other else 0),
        people_count=len(people),
        figures={},
        people=people,
        parts=parts,
    )


# --- one figure as a linear system ------------------------------------------------------------


@dataclass
class _Item:
    """A sensitive figure: the elements it sums, how wide its interval must be."""

    elements: frozenset
    width: float
    cell: int | None = None  # the new report's row index, if the item is one of its cells


@dataclass
class _Column:
    name: str
    is_people: bool
    truth: Mapping  # element -> true value (1/0 for people)
    cells: list[frozenset]  # the new report's cells (one per row), as element sets
    values: list[int]
    earlier: list[tuple[frozenset, int]]  # earlier reports' shown cells
    earlier_keys: list[str]
    items: list[_Item]
    forced: set[int]  # cells hidden by primary suppression
    costs: list[float]
    keys: list[str]

    @classmethod
    def people(
        cls,
        name: str,
        tree: _Tree,
        rows: list[ShownRow],
        flagged: frozenset[int],
        k: int,
        earlier: Sequence[PublishedRow],
    ) -> _Column:
        cells = [r.people for r in rows]
        values = [len(r.people & flagged) for r in rows]
        old = [(p.people, int(p.cells[name])) for p in earlier if name in p.cells]
        universe = frozenset().union(*cells, *(p.people for p in earlier))
        truth = {p: (1 if p in flagged else 0) for p in universe}
        items: list[_Item] = []
        forced: set[int] = set()
        for i, (cell, value) in enumerate(zip(cells, values, strict=True)):
            if _people_sensitive(len(cell), value, k):
                forced.add(i)
                items.append(_Item(cell, min(k, len(cell)), cell=i))
        # Every earlier row counts, its cell shown or not: the reader knows who it covered, so
        # its differences with today's rows are groups the reader can point at.
        row_sets = cells + [p.people for p in earlier]
        groups = [tree.people[u] for u in tree.preorder] + _atoms(row_sets) + row_sets
        for group in groups:
            size = len(group)
            if size and _people_sensitive(size, sum(truth.get(p, 0) for p in group), k):
                items.append(_Item(group, min(k, size)))
        items += [_Item(g, len(g)) for g in _small_pairs(row_sets, lambda e: 1, k)]
        return cls(
            name,
            True,
            truth,
            cells,
            values,
            old,
            [p.key for p in earlier if name in p.cells],
            _dedupe(items),
            forced,
            [max(1, len(r.people)) for r in rows],
            [r.key for r in rows],
        )

    @classmethod
    def counts(
        cls, name: str, tree: _Tree, rows: list[ShownRow], k: int, earlier: Sequence[PublishedRow]
    ) -> _Column:
        cells = [r.parts for r in rows]
        truth = {p: int(c.get(name, 0)) for p, c in tree.part_counts.items()}
        values = [sum(truth[p] for p in cell) for cell in cells]
        old = [(p.parts, int(p.cells[name])) for p in earlier if name in p.cells]
        for s, _ in old:
            for p in s:
                truth.setdefault(p, 0)  # an org unit gone since: nothing counted today
        items: list[_Item] = []
        forced: set[int] = set()
        for i, row in enumerate(rows):
            if 0 < row.people_count < k:
                forced.add(i)
                items.append(_Item(cells[i], k, cell=i))
        groups = [tree.parts[u] for u in tree.preorder if 0 < len(tree.people[u]) < k]
        row_sets = cells + [p.parts for p in earlier]
        for atom in _atoms(row_sets):
            people = sum(len(tree.part_people.get(p, ())) for p in atom)
            if 0 < people < k:
                groups.append(atom)
        groups += _small_pairs(row_sets, lambda p: len(tree.part_people.get(p, ())), k)
        groups += [p.parts for p in earlier if 0 < len(p.people) < k]
        items += [_Item(g, k) for g in groups if g]
        return cls(
            name,
            False,
            truth,
            cells,
            values,
            old,
            [p.key for p in earlier if name in p.cells],
            _dedupe(items),
            forced,
            [max(1, r.people_count) for r in rows],
            [r.key for r in rows],
        )


def _people_sensitive(size: int, value: int, k: int) -> bool:
    return 0 < size < k or 0 < value < k or 0 < size - value < k


def _dedupe(items: list[_Item]) -> list[_Item]:
    seen: dict[frozenset, _Item] = {}
    for item in items:
        old = seen.get(item.elements)
        if old is None or (old.cell is None and item.cell is not None):
            seen[item.elements] = item
    return list(seen.values())


def _atoms(sets: Sequence[frozenset]) -> list[frozenset]:
    """The smallest groups the sets distinguish: elements with the same memberships."""
    signature: dict[object, list[int]] = {}
    for i, s in enumerate(sets):
        for e in s:
            signature.setdefault(e, []).append(i)
    by_sig: dict[tuple[int, ...], set] = {}
    for e, sig in signature.items():
        by_sig.setdefault(tuple(sig), set()).add(e)
    return [frozenset(a) for a in by_sig.values()]


def _small_pairs(sets: Sequence[frozenset], weight, k: int) -> list[frozenset]:
    """Differences and intersections of two sets that are about 1..k-1 people: what a reader
    gets by subtracting one published row from another (within a report or across reports,
    say before and after a reorganisation)."""
    atoms = _atoms(sets)
    where = {e: a for a, atom in enumerate(atoms) for e in atom}
    size = [sum(weight(e) for e in atom) for atom in atoms]
    of_set = [frozenset(where[e] for e in s) for s in sets]
    rows_of: dict[int, list[int]] = {}
    for i, atom_ids in enumerate(of_set):
        for a in atom_ids:
            rows_of.setdefault(a, []).append(i)
    found: set[frozenset[int]] = set()
    for i, mine in enumerate(of_set):
        partners = {j for a in mine for j in rows_of[a] if j != i}
        for j in partners:
            for piece in (mine - of_set[j], mine & of_set[j]):
                if piece and 0 < sum(size[a] for a in piece) < k:
                    found.add(piece)
    return [frozenset().union(*(atoms[a] for a in piece)) for piece in found]


@dataclass
class _System:
    """Atoms of a column and every set as a 0/1 row over them."""

    atoms: list[frozenset]
    index: dict  # element -> atom
    caps: np.ndarray
    truth: np.ndarray

    @classmethod
    def of(cls, column: _Column) -> _System:
        sets = column.cells + [s for s, _ in column.earlier] + [i.elements for i in column.items]
        atoms = _atoms(sets)
        index = {e: a for a, atom in enumerate(atoms) for e in atom}
        caps = np.array([len(a) if column.is_people else np.inf for a in atoms], dtype=float)
        truth = np.array([sum(column.truth.get(e, 0) for e in a) for a in atoms], dtype=float)
        return cls(atoms, index, caps, truth)

    def vector(self, elements: frozenset) -> np.ndarray:
        v = np.zeros(len(self.atoms))
        for a in {self.index[e] for e in elements}:
            v[a] = 1.0
        return v

    def matrix(self, sets: Sequence[frozenset]) -> sparse.csr_matrix:
        rows, cols = [], []
        for i, s in enumerate(sets):
            for a in {self.index[e] for e in s}:
                rows.append(i)
                cols.append(a)
        return sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(sets), len(self.atoms))
        )


# --- secondary suppression --------------------------------------------------------------------


def _suppress_column(
    column: _Column, rows: list[ShownRow], previous: set[tuple[str, str]], stats: dict[str, int]
) -> None:
    system = _System.of(column)
    audit = _Audit(column, system)
    hidden = set(column.forced)
    stats["cells"] += len(column.cells)
    stats["hidden_primary"] += len(column.forced)
    # A primary cell asks its width, or what the earlier reports alone leave it if narrower
    # (a hire's row in the same period: the earlier row fixed everyone else in it).
    active: dict[int, float] = {
        i: min(it.width, audit.baseline_width(i))
        for i, it in enumerate(column.items)
        if it.cell is not None
    }
    for _round in range(MAX_ROUNDS):
        stats["rounds"] += 1
        failing = audit.failing(hidden)
        if failing is None:  # the published figures contradict today's data: show none
            hidden = set(range(len(column.cells)))
            break
        if not failing:
            break
        active.update(failing)
        chosen = _optimise(column, system, active, previous)
        if chosen is None:
            hidden = set(range(len(column.cells)))
            break
        hidden = chosen | column.forced
    else:
        hidden = set(range(len(column.cells)))
    if len(hidden) == len(column.cells) and column.cells:
        stats["columns_fully_hidden"] += 1
    stats["hidden_secondary"] += len(hidden - column.forced)
    for i, row in enumerate(rows):
        row.figures[column.name] = None if i in hidden else column.values[i]


class _Audit:
    """The exact audit of one figure: which sensitive items the published cells leave narrower
    than required. An item whose values at feasible points already seen (earlier LP optima)
    span the width needs no LP of its own; every other item gets its two LPs."""

    def __init__(self, column: _Column, system: _System) -> None:
        self.column, self.system = column, system
        self.vectors = [system.vector(i.elements) for i in column.items]
        self.baseline: dict[int, float] = {}  # item -> its width given the earlier reports alone

    def failing(self, hidden: set[int]) -> dict[int, float] | None:
        """Item -> the width it needs, for every unprotected item; None if infeasible."""
        c = self.column
        shown = [(c.cells[i], c.values[i]) for i in range(len(c.cells)) if i not in hidden]
        solver = _Solver(self.system, c.earlier + shown)
        failing: dict[int, float] = {}
        for i, item in enumerate(c.items):
            found = solver.width(self.vectors[i], item.width)
            if found is None:
                return None
            if found >= item.width - TOLERANCE:
                continue
            needed = min(item.width, self.baseline_width(i))
            if found < needed - TOLERANCE:
                failing[i] = needed
        return failing

    def baseline_width(self, i: int) -> float:
        """The item's width given the earlier reports alone (inf without any)."""
        if i not in self.baseline:
            width = _Solver(self.system, self.column.earlier).width(self.vectors[i], math.inf)
            self.baseline[i] = math.inf if width is None else width
        return self.baseline[i]


class _Solver:
    """min and max of a linear function over the atoms' polytope, with a pool of feasible
    points (each LP's optimum) that proves most items wide enough without an LP."""

    def __init__(self, system: _System, constraints: Sequence[tuple[frozenset, float]]) -> None:
        self.a_eq = system.matrix([s for s, _ in constraints]) if constraints else None
        self.b_eq = np.array([v for _, v in constraints], dtype=float) if constraints else None
        self.bounds = [(0.0, None if math.isinf(cap) else cap) for cap in system.caps]
        self.points: list[np.ndarray] = []

    def width(self, c: np.ndarray, enough: float) -> float | None:
        """The feasible interval's width (stops early once it is ``enough``); None if the
        constraints are infeasible."""
        if self.points:
            values = [float(c @ x) for x in self.points]
            if max(values) - min(values) >= enough - TOLERANCE:
                return max(values) - min(values)
        ends = []
        for sign in (1.0, -1.0):
            lp = linprog(
                sign * c, A_eq=self.a_eq, b_eq=self.b_eq, bounds=self.bounds, method="highs"
            )
            if lp.status == 2:
                return None
            if lp.status == 3:
                return math.inf
            self.points.append(lp.x)
            ends.append(sign * lp.fun)
        return ends[1] - ends[0]


def _optimise(
    column: _Column, system: _System, active: Mapping[int, float], previous: set[tuple[str, str]]
) -> set[int] | None:
    """The cheapest cells to hide so every active item has two tables ``width`` apart.

    Each item's two tables may differ from the true one only inside a region: the row above
    the smallest row that holds the item (room to trade with a sibling or to go up), which
    keeps the programme small at municipal scale. A restriction only removes solutions, so
    what is found is still a proof; if nothing is found the whole table is tried."""
    items = [(column.items[i].elements, w) for i, w in active.items() if w > TOLERANCE]
    if not items:
        return set()
    matrix = system.matrix(column.cells)
    cell_atoms = [
        frozenset(matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]])
        for i in range(len(column.cells))
    ]
    regions = [_region(system, cell_atoms, elements) for elements, _ in items]
    found = _solve(column, system, items, regions, previous)
    if found is None and any(r is not None for r in regions):
        found = _solve(column, system, items, [None] * len(items), previous)
    return found


def _region(system: _System, cell_atoms: list[frozenset], elements: frozenset):
    mine = frozenset(system.index[e] for e in elements)
    holding = sorted((c for c in cell_atoms if mine <= c), key=len)
    if len(holding) >= 2:
        return np.array(sorted(holding[1]))
    return None


def _solve(
    column: _Column,
    system: _System,
    items: list[tuple[frozenset, float]],
    regions,
    previous: set[tuple[str, str]],
) -> set[int] | None:
    n_cells, n_atoms = len(column.cells), len(system.atoms)
    everything = np.arange(n_atoms)
    width = max(w for _, w in items)
    lower_all = -system.truth
    upper_all = np.where(np.isinf(system.caps), width, system.caps - system.truth)
    cells = system.matrix(column.cells).tocsc()
    old = system.matrix([s for s, _ in column.earlier]).tocsc() if column.earlier else None
    old_gap = (
        np.array([v for _, v in column.earlier], dtype=float) - old @ system.truth
        if old is not None
        else None
    )
    lb_parts, ub_parts, offset = [np.zeros(n_cells)], [np.ones(n_cells)], n_cells
    rows_a, lo_all, hi_all = [], [], []

    def add(matrix: sparse.spmatrix, at: int, y: np.ndarray | None, lo, hi) -> None:
        m = matrix.tocoo()
        rows_a.append((m, at, y))
        lo_all.append(lo)
        hi_all.append(hi)

    for (elements, w), region in zip(items, regions, strict=True):
        atoms = everything if region is None else region
        sub_cells = cells[:, atoms]
        lower, upper = lower_all[atoms], upper_all[atoms]
        big_all = np.asarray(abs(sub_cells) @ np.maximum(-lower, upper)).ravel() + 1.0
        touched = np.flatnonzero(sub_cells.getnnz(axis=1))
        sub_cells, big = sub_cells[touched], big_all[touched]
        target = np.zeros(len(atoms))
        positions = {a: i for i, a in enumerate(atoms)}
        for a in {system.index[e] for e in elements}:
            if a in positions:
                target[positions[a]] = 1.0
        starts = []
        for _side in (0, 1):
            starts.append(offset)
            add(sub_cells, offset, (touched, -big), -np.inf, 0.0)
            add(-sub_cells, offset, (touched, -big), -np.inf, 0.0)
            if old is not None:
                sub_old = old[:, atoms]
                keep = np.flatnonzero(sub_old.getnnz(axis=1))
                if len(keep):
                    add(sub_old[keep], offset, None, old_gap[keep], old_gap[keep])
            lb_parts.append(lower)
            ub_parts.append(upper)
            offset += len(atoms)
        rows_a.append(("target", starts, target))
        lo_all.append(np.array([w]))
        hi_all.append(np.array([np.inf]))
    data, rr, cc, lo_b, hi_b, row = [], [], [], [], [], 0
    for entry, lo, hi in zip(rows_a, lo_all, hi_all, strict=True):
        if isinstance(entry[0], str):
            _, (up, down), target = entry
            nz = np.flatnonzero(target)
            rr += [row] * (2 * len(nz))
            cc += list(up + nz) + list(down + nz)
            data += [1.0] * len(nz) + [-1.0] * len(nz)
            lo_b.append(lo)
            hi_b.append(hi)
            row += 1
            continue
        m, at, y = entry
        rr += list(row + m.row)
        cc += list(at + m.col)
        data += list(m.data)
        if y is not None:
            touched, weights = y
            rr += list(row + np.arange(len(touched)))
            cc += list(touched)
            data += list(weights)
        n = m.shape[0]
        lo_b.append(np.broadcast_to(lo, (n,)))
        hi_b.append(np.broadcast_to(hi, (n,)))
        row += n
    a = sparse.csr_matrix((data, (rr, cc)), shape=(row, offset))
    cost = np.zeros(offset)
    for i in range(n_cells):
        factor = 0.5 if (column.keys[i], column.name) in previous else 1.0
        cost[i] = column.costs[i] * factor
    lb, ub = np.concatenate(lb_parts), np.concatenate(ub_parts)
    for i in column.forced:
        lb[i] = 1.0
    integrality = np.concatenate([np.ones(n_cells), np.zeros(offset - n_cells)])
    result = milp(
        cost,
        constraints=LinearConstraint(a, np.concatenate(lo_b), np.concatenate(hi_b)),
        bounds=Bounds(lb, ub),
        integrality=integrality,
        options={"time_limit": 30.0},
    )
    if result.x is None:
        return None
    return {i for i in range(n_cells) if result.x[i] > 0.5}
