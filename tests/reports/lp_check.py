"""An independent LP audit of published reports, written apart from web.reports.anonymity.

One variable per person (in [0, 1], "took part") for people figures and one per org unit (>= 0)
for count figures, straight from the raw sets; no atoms, no shared helper. Every published cell
of every report given is an equality. ``narrowest`` returns, for each group asked about, its
feasible interval as scipy's HiGHS finds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog


@dataclass(frozen=True)
class Cell:
    members: frozenset  # person ids (people figure) or org unit ids (count figure)
    value: float


def interval(cells: Sequence[Cell], group: Iterable, people: bool) -> tuple[float, float]:
    """The least and greatest value of sum(group) given the cells (raises if infeasible)."""
    group = set(group)
    universe = sorted(set().union(group, *(c.members for c in cells)), key=repr)
    where = {e: i for i, e in enumerate(universe)}
    a_eq = np.zeros((len(cells), len(universe)))
    for r, cell in enumerate(cells):
        for e in cell.members:
            a_eq[r, where[e]] = 1.0
    b_eq = np.array([c.value for c in cells], dtype=float)
    objective = np.zeros(len(universe))
    for e in group:
        objective[where[e]] = 1.0
    bounds = [(0.0, 1.0 if people else None)] * len(universe)
    ends = []
    for sign in (1.0, -1.0):
        result = linprog(
            sign * objective,
            A_eq=a_eq if len(cells) else None,
            b_eq=b_eq if len(cells) else None,
            bounds=bounds,
            method="highs",
        )
        assert result.status in (0, 3), f"the published figures contradict each other: {result}"
        ends.append(float("inf") if result.status == 3 else sign * result.fun)
    return ends[0], ends[1]


def required_width(size: int, k: int, people: bool) -> float:
    return min(k, size) if people else k


def smallest_groups(sets: Sequence[set]) -> set[frozenset]:
    """People (or units) with the same memberships in every set: what the sets tell apart."""
    signature: dict = {}
    for i, members in enumerate(sets):
        for m in members:
            signature[m] = (*signature.get(m, ()), i)
    groups: dict[tuple, set] = {}
    for m, sig in signature.items():
        groups.setdefault(sig, set()).add(m)
    return {frozenset(g) for g in groups.values()}
