"""Issue 14's cases through the product: CSV import, cycles, report A, a reorganisation by CSV
import, report B; then the independent LP (tests/reports/lp_check.py) over both stored
reports. And one hire: the next period's report is full.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import combinations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import undefer

from tests.reports.lp_check import Cell, interval, smallest_groups
from web.extensions import db
from web.models import today as local_today
from web.orgs.models import OrgUnit
from web.orgs.services import import_org
from web.reports import services
from web.reports.models import Report
from web.users.models import User

K = 5
TODAY = local_today()
PERIOD = (TODAY - timedelta(days=90), TODAY)
UNITS = """external_id,name,kind,parent_external_id
kommune,Kommune,organisation,
adm,Administration,department,kommune
reng,Rengøring,department,kommune
reng-team,Rengøringsteam,team,reng
drift,Drift,department,kommune
x1,Ældreplejen,department,kommune
x2,Skoleområdet,department,kommune
stab,Stab,department,kommune
"""
SIZES = {"adm": 11, "reng-team": 8, "drift": 12, "x1": 10, "x2": 10, "stab": 5}
# The auditor's figures (9 of 11, 6 of 9: the primary rule already hides them), and figures
# the primary rule allows (5 of 11, 0 of 9), where only the audit across reports can see that
# report B's Administration minus report A's two rows is the one person who moved.
AUDITORS = {"adm": 9, "reng": 6, "drift": 7, "x1": 5, "x2": 5, "stab": 0}
ALLOWED = {"adm": 5, "reng": 0, "drift": 7, "x1": 5, "x2": 5, "stab": 0}


def people_csv(rows: list[tuple[str, str, str]]) -> str:
    lines = ["subject,email,display_name,locale,unit_external_id,unit_role,tenant_roles"]
    lines += [f"{s},,{s},,{unit},{role},{'hr' if s == 'stab-0' else ''}" for s, unit, role in rows]
    return "\n".join(lines) + "\n"


def generate(tenant, scope, period=PERIOD) -> Report:
    with scope(tenant):
        hr = db.session.scalar(select(User).where(User.subject == "stab-0"))
        report = services.request_report(
            hr, period_start=period[0].isoformat(), period_end=period[1].isoformat(), locale="da"
        )
        run = services.start_run(report)
        counts = services.build(report, lambda p: None)
        services.finish_run(report, run, counts, services.Timer(0.0))
        db.session.commit()
        return report


def stored(tenant, scope) -> list[list[dict]]:
    with scope(tenant):
        reports = db.session.scalars(
            select(Report).options(undefer(Report.published_rows)).order_by(Report.id)
        ).all()
        return [r.published_rows for r in reports]


def ids(tenant, scope, subjects) -> set[int]:
    with scope(tenant):
        return set(db.session.scalars(select(User.id).where(User.subject.in_(list(subjects)))))


def build_municipality(make, scope, took_part: dict[str, int]):
    tenant = make.tenant("omorg", settings={"k_threshold": K})
    people = [(f"{unit}-{i}", unit, "employee") for unit, n in SIZES.items() for i in range(n)]
    people.append(("reng-leader", "reng", "leader"))
    with scope(tenant):
        import_org(UNITS, people_csv(people))
        db.session.commit()
        units = {u.external_id: u for u in db.session.scalars(select(OrgUnit))}
    start = PERIOD[0] + timedelta(days=10)
    for key in took_part:
        cycle = make.cycle(tenant, units[key], include_subunits=True, preparation_starts_on=start)
        members = [
            s for s, unit, _ in people if unit == key or (key == "reng" and unit == "reng-team")
        ]
        members.sort(key=lambda s: (s == "reng-leader", s))
        took = ids(tenant, scope, members[: took_part[key]])
        for user_id in took:
            with scope(tenant):
                user = db.session.get(User, user_id)
            make.participation(tenant, cycle, user)
    return tenant, people


def flat_municipality(make, scope, slug: str, sizes: dict[str, int]):
    """A municipality of departments with ``sizes`` employees each, imported by CSV: the
    tenant, the units CSV, the people rows and the org units by external id."""
    tenant = make.tenant(slug, settings={"k_threshold": K})
    units = "external_id,name,kind,parent_external_id\nkommune,Kommune,organisation,\n" + "".join(
        f"{u},Enhed {u},department,kommune\n" for u in sizes
    )
    people = [(f"{u}-{i}", u, "employee") for u, n in sizes.items() for i in range(n)]
    with scope(tenant):
        import_org(units, people_csv(people))
        db.session.commit()
        by_ext = {u.external_id: u for u in db.session.scalars(select(OrgUnit))}
    return tenant, units, people, by_ext


@pytest.mark.parametrize("took_part", [AUDITORS, ALLOWED], ids=["auditors", "allowed"])
def test_the_reorganisation_leak_is_refused_or_protected(make, scope, took_part):
    tenant, people = build_municipality(make, scope, took_part)
    generate(tenant, scope)  # report A
    if took_part is ALLOWED:  # A shows both departments' participation
        (first,) = stored(tenant, scope)
        shown = [row["cells"].get("contributors") for row in first]
        assert 5 in shown and 0 in shown

    # The reorganisation, by CSV import: Rengøring (team and leader) under Administration, one
    # named person from Drift to Administration, five hires in each of two departments.
    mover = "drift-0"  # took part (the first seven of Drift did)
    moved_units = UNITS.replace(
        "reng,Rengøring,department,kommune", "reng,Rengøring,department,adm"
    )
    changes = [(mover, "adm", "employee")]
    changes += [(f"{unit}-new-{i}", unit, "employee") for unit in ("x1", "x2") for i in range(5)]
    with scope(tenant):
        import_org(moved_units, people_csv(changes))
        db.session.commit()
    generate(tenant, scope)  # report B, same period

    a, b = stored(tenant, scope)
    by_key = {row["key"]: row for row in b}
    with scope(tenant):
        adm = db.session.scalar(select(OrgUnit).where(OrgUnit.external_id == "adm"))
    # Report B's Administration row is the 21 people the auditor saw: the product stores them.
    adm_row = by_key[f"{adm.id:012d}:unit"]
    assert len(adm_row["people"]) == 21
    assert_nothing_narrower_than_k(
        [a, b],
        took_part=ids(tenant, scope, [s for s, *_ in people + changes])
        & participants(tenant, scope),
    )
    mover_id = ids(tenant, scope, [mover])
    lo, hi = interval(contributor_cells([a, b]), mover_id, people=True)
    assert (lo, hi) == (0.0, 1.0)


def participants(tenant, scope) -> set[int]:
    from web.cycles.models import Participation

    with scope(tenant):
        return set(db.session.scalars(select(Participation.user_id)))


def contributor_cells(reports: list[list[dict]]) -> list[Cell]:
    return [
        Cell(frozenset(row["people"]), row["cells"]["contributors"])
        for rows in reports
        for row in rows
        if "contributors" in row["cells"]
    ]


def assert_nothing_narrower_than_k(reports: list[list[dict]], took_part: set[int]) -> None:
    """No group of 1..k-1 people that the rows tell apart (a difference or intersection of two
    rows, a smallest group) is narrowed below its full range, and no row or smallest group with
    1..k-1 people who took part (or did not) is narrowed below k (the threat model's rule)."""
    cells = contributor_cells(reports)
    rows = [frozenset(row["people"]) for rows in reports for row in rows]
    small = set()
    for x, y in combinations(rows, 2):
        small |= {x - y, y - x, x & y}
    by_value = set(rows) | smallest_groups(rows)
    for group in small | by_value:
        took = len(group & took_part)
        if not group or not (
            len(group) < K or (group in by_value and (0 < took < K or 0 < len(group) - took < K))
        ):
            continue
        lo, hi = interval(cells, group, people=True)
        assert hi - lo >= min(K, len(group)) - 1e-6, (len(group), took, lo, hi)


def test_one_hire_does_not_blank_the_next_report(make, scope):
    # 78 people; one new hire in a 4-person unit. The next (non-overlapping) period's report
    # is not constrained by the earlier one and shows every unit of at least k people.
    tenant, units, people, by_ext = flat_municipality(
        make, scope, "nyansat", {"small": 4, "a": 20, "b": 24, "c": 25, "stab": 5}
    )
    first_period = (TODAY - timedelta(days=200), TODAY - timedelta(days=101))
    second_period = (TODAY - timedelta(days=100), TODAY)
    for period in (first_period, second_period):
        cycle = make.cycle(
            tenant,
            by_ext["kommune"],
            include_subunits=True,
            preparation_starts_on=period[0] + timedelta(days=5),
        )
        for user_id in sorted(ids(tenant, scope, [s for s, *_ in people]))[::2]:
            with scope(tenant):
                user = db.session.get(User, user_id)
            make.participation(tenant, cycle, user)
    first = generate(tenant, scope, first_period)
    with scope(tenant):
        import_org(units, people_csv([("small-new", "small", "employee")]))
        db.session.commit()
    later = generate(tenant, scope, second_period)
    again = generate(tenant, scope, first_period)  # the earlier period regenerated
    a, c, a2 = stored(tenant, scope)
    shown = {row["key"].split(":")[0] for row in c if row["key"].endswith(":unit")}
    assert {f"{by_ext[u].id:012d}" for u in ("kommune", "small", "a", "b", "c", "stab")} <= shown
    assert len(c) == len(a) + 1  # the small unit now has a row of its own
    assert a2, "regenerating the earlier period still shows rows"
    with scope(tenant):
        html = db.session.scalar(select(Report.html).where(Report.id == later.id))
    assert "færre end grænsen" not in html
    assert first.id != again.id


@pytest.mark.parametrize("hire_took_part", [True, False], ids=["took-part", "did-not"])
def test_one_hire_in_the_same_period_hides_only_the_rows_it_changed(make, scope, hire_took_part):
    # Report A; one person hired into a 20-person department, who may take part in the same
    # period's cycle; report B of the same period. B hides no cell A showed except in the rows
    # that now hold the hire (the department and the municipality), and nothing about the hire
    # is derivable from A and B together.
    tenant, units, people, by_ext = flat_municipality(
        make, scope, "nyansat2", {"a": 20, "b": 24, "c": 25, "d": 9, "stab": 5}
    )
    kommune = by_ext["kommune"]
    cycle = make.cycle(
        tenant, kommune, include_subunits=True, preparation_starts_on=PERIOD[0] + timedelta(days=5)
    )
    for user_id in sorted(ids(tenant, scope, [s for s, *_ in people]))[::3]:
        with scope(tenant):
            user = db.session.get(User, user_id)
        make.participation(tenant, cycle, user)
    generate(tenant, scope)  # report A
    with scope(tenant):
        import_org(units, people_csv([("a-new", "a", "employee")]))
        db.session.commit()
        hire = db.session.scalar(select(User).where(User.subject == "a-new"))
    if hire_took_part:
        make.participation(tenant, cycle, hire)
    generate(tenant, scope)  # report B, same period
    a, b = stored(tenant, scope)
    before = {row["key"]: row for row in a}
    changed = {
        row["key"]
        for row in b
        if set(row["people"]) != set(before.get(row["key"], {}).get("people", ()))
    }
    assert len(changed) == 2  # the department and the municipality
    lost = {
        (row["key"], name)
        for row in b
        for name in before.get(row["key"], {}).get("cells", {})
        if name not in row["cells"] and row["key"] not in changed
    }
    assert not lost, lost
    shown_a = sum(len(row["cells"]) for row in a)
    assert shown_a > 0
    assert interval(contributor_cells([a, b]), {hire.id}, people=True) == (0.0, 1.0)
    assert_nothing_narrower_than_k([a, b], took_part=participants(tenant, scope))
