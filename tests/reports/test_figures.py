"""The report's figures on the hand-built town (tests/reports/conftest.py), worked out by hand."""

from __future__ import annotations

from tests.reports.conftest import PERIOD, TODAY
from web.reports.figures import Period, compute, distribution_key


def rows_of(figures) -> list[tuple]:
    return [(r.label, r.is_other, r.depth, r.figures["members"], r.figures["contributors"])
            for r in figures.rows]


def activity_of(figures) -> dict[tuple[str, bool], tuple[int, ...]]:
    names = ("cycles_started", "cycles_completed", "cycles_overdue", "actions_agreed",
             "actions_done", "actions_overdue")
    return {(r.label, r.is_other): tuple(r.figures.get(n, 0) for n in names)
            for r in figures.rows}


def test_the_figures_of_the_town(town, scope):
    with scope(town.tenant):
        figures = compute(Period(*PERIOD), k=5, published=frozenset(), today=TODAY)

    # Participation per area and department.
    assert rows_of(figures) == [
        ("Solby Kommune", False, 0, 28, 14),
        ("Børn og Unge", False, 1, 18, 9),
        ("Dagtilbud Nord", False, 2, 7, 4),  # Solsikken and Mælkebøtten, Dorte counted once
        ("Skoler", False, 2, 6, 3),  # the inactive member is not counted
        ("Børn og Unge", True, 2, 5, 2),  # own 3 + Specialtilbud's 2 (below k: merged)
        ("Teknik og Miljø", False, 1, 5, 5),
        ("Vej og Park", False, 2, 5, 5),
        ("Stab og HR", False, 1, 5, 0),
    ]
    assert all(r.people_count >= 5 for r in figures.rows)
    assert "Specialtilbud" not in [r.label for r in figures.rows]

    # Cycles started / completed / overdue, actions agreed / done / overdue.
    assert activity_of(figures) == {
        ("Solby Kommune", False): (5, 2, 2, 5, 2, 2),
        ("Børn og Unge", False): (4, 1, 2, 4, 1, 2),
        ("Dagtilbud Nord", False): (2, 1, 1, 3, 1, 1),  # the old cycle is not in the period
        ("Skoler", False): (1, 0, 0, 0, 0, 0),
        ("Børn og Unge", True): (1, 0, 1, 1, 0, 1),
        ("Teknik og Miljø", False): (1, 1, 0, 1, 1, 0),
        ("Vej og Park", False): (1, 1, 0, 1, 1, 0),
        ("Stab og HR", False): (0, 0, 0, 0, 0, 0),
    }

    # Distribution over the four expectations, KKC and OLFA (tenant-wide).
    distribution = {tuple(name.split(":")): value for name, value in figures.totals.items()
                    if ":" in name and value}
    assert distribution == {
        ("expectation", "responsibility", "actions"): 2,
        ("expectation", "context", "actions"): 1,
        ("expectation", "responsibility", "examples"): 1,
        ("expectation", "agency_for_others", "examples"): 1,
        ("kkc", "course", "actions"): 2,
        ("kkc", "commitment", "actions"): 1,
        ("kkc", "coordination", "examples"): 1,
        ("olfa", "community", "examples"): 1,
        ("olfa", "employee", "examples"): 1,  # the example of last year is not counted
    }
    assert figures.totals[distribution_key("kkc", "course", "actions")] == 2

    # What the run log records: sizes only.
    assert figures.counts == {
        "org_units": 11, "report_units": 8, "people": 28, "cycles": 5, "actions": 5,
        "examples": 2, "rows_shown": 8, "units_merged": 1, "figures_unplaced": 0}


def test_a_higher_k_merges_more_and_never_shows_a_small_group(town, scope):
    with scope(town.tenant):
        figures = compute(Period(*PERIOD), k=7, published=frozenset(), today=TODAY)
    assert all(r.people_count >= 7 for r in figures.rows)
    labels = [(r.label, r.is_other) for r in figures.rows]
    assert ("Skoler", False) not in labels and ("Stab og HR", False) not in labels
    # Parent = shown children + other row, figure by figure.
    root = figures.rows[0]
    children = [r for r in figures.rows if r.depth == 1]
    for name in ("members", "contributors", "cycles_started", "actions_agreed"):
        assert root.figures[name] == sum(r.figures[name] for r in children)


def test_earlier_reports_groups_are_respected(town, scope):
    with scope(town.tenant):
        first = compute(Period(*PERIOD), k=5, published=frozenset(), today=TODAY)
        skoler = next(r for r in first.rows if r.label == "Skoler")
        # An earlier report showed Skoler with one person fewer: a difference of 1.
        earlier = frozenset({frozenset(list(skoler.people)[1:])})
        second = compute(Period(*PERIOD), k=5, published=earlier, today=TODAY)
    assert "Skoler" not in [r.label for r in second.rows]


def test_another_tenant_sees_only_its_own(town, scope):
    with scope(town.neighbour):
        figures = compute(Period(*PERIOD), k=5, published=frozenset(), today=TODAY)
    assert rows_of(figures) == [("Nabo-afdeling", False, 0, 9, 8)]


def test_a_tenant_smaller_than_k_shows_nothing(make, scope):
    tiny = make.tenant("lille")
    unit = make.unit(tiny, "Lille afdeling")
    cycle = make.cycle(tiny, unit, preparation_starts_on=TODAY)
    for n in range(3):
        make.participation(tiny, cycle, make.user(tiny, f"Person {n}", unit=unit))
    with scope(tiny):
        figures = compute(Period(*PERIOD), k=5, published=frozenset(), today=TODAY)
    assert (figures.rows, figures.totals) == ([], {})


def test_a_department_cycle_without_own_people_counts_for_its_subtree(make, scope):
    from web.orgs.models import UnitKind

    tenant = make.tenant("afd")
    dept = make.unit(tenant, "Afdeling", UnitKind.DEPARTMENT)
    team = make.unit(tenant, "Team", UnitKind.AREA, parent=dept)  # a row of its own
    for n in range(6):
        make.user(tenant, f"Person {n}", unit=team)
    make.cycle(tenant, dept, include_subunits=True, preparation_starts_on=TODAY)
    with scope(tenant):
        figures = compute(Period(*PERIOD), k=5, published=frozenset(), today=TODAY)
    assert [(r.label, r.is_other, r.figures["cycles_started"]) for r in figures.rows] == [
        ("Afdeling", False, 1), ("Team", False, 0), ("Afdeling", True, 1)]
