"""Benchmark: the Hovedudvalg report for the 50,000-person tenant, and for half of it.

Not a test. Run from the repository root::

    .venv/bin/python bench/report.py [--repeat 3]

Each run is a fresh process (so its peak memory is its own) that does what a report run does
(``web.reports.services.build``): the figures (``figures.compute``: aggregates in SQL, then the
anonymity rules) for the last 365 days, then the HTML with its charts and the tagged PDF
(``render_html``, ``render_pdf``), inside the tenant scope as the application's database role
(row-level security on). Nothing is stored: the transaction is rolled back. It runs for
``bench-half`` (25,000 people, everything generated at half scale) and ``bench`` (50,000),
alternately, ``--repeat`` times each; medians are reported.

Targets: aggregates ≤ 10 s, PDF ≤ 20 s, peak memory (RSS) ≤ 500 MB for 50,000 people, and the
50,000 run ≤ 2.2 × the 25,000 run (total time).

``--audit`` (issue 14) measures the anonymity engine on ``bench`` instead: report A for the last
365 days, then, each in a savepoint rolled back afterwards, one hire, one move (an employee to a
team of another area) and one reorganisation (a department to another area), each followed by
report B for the *same* period, audited against A (the hard case: overlapping periods), and by
report C for the next period (not constrained by A). It reports the audit's time (primary
suppression, the LP audit and the MILP, ``audit_ms``) and the utility: the share of units and
of people whose unit has a row of its own, whose participation cell is shown, and of all cells
shown; and which units lost a shown cell to the change. Targets: audit ≤ 60 s at 50,000
people; ≥ 90 % of people's units shown; one hire hides nothing outside the hire's own unit.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # puts the repository root on sys.path

SIZES = {"bench-half": 25_000, "bench": 50_000}
TARGETS = {"aggregates_s": 10.0, "pdf_s": 20.0, "peak_rss_mb": 500.0, "doubling": 2.2}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def child(slug: str) -> dict:
    """One report run in this process; prints its measurements as JSON."""
    from flask_babel import force_locale

    from web import create_app
    from web.extensions import db
    from web.reports import figures as figures_module
    from web.reports.render import Document, render_html, render_pdf, selection
    from web.reports.services import DEFAULT_PERIOD_DAYS, today
    from web.tenancy import tenant_scope
    from web.tenants.models import Tenant

    app = create_app(benchlib.app_config())
    tenant_id = benchlib.tenant_id(slug)
    with app.app_context(), tenant_scope(tenant_id):
        import weasyprint  # noqa: F401  (imported before the clock, as a worker has it loaded)

        rss_before = peak_rss_mb()
        tenant = db.session.get(Tenant, tenant_id)
        end = today()
        period = figures_module.Period(end - timedelta(days=DEFAULT_PERIOD_DAYS - 1), end)
        started = time.monotonic()
        figures = figures_module.compute(period, tenant.k_threshold, [], end)
        aggregated = time.monotonic()
        document = Document(
            tenant_name=tenant.name,
            period=period,
            k=tenant.k_threshold,
            figures=figures,
            entries=selection(period),
            generated_on=end,
            meeting_on=None,
        )
        with force_locale(tenant.default_locale):
            html = render_html(document)
            rendered = time.monotonic()
            pdf, pages = render_pdf(html)
        finished = time.monotonic()
        db.session.rollback()
    return {
        "slug": slug,
        "people": figures.counts["people"],
        "counts": figures.counts,
        "aggregates_s": aggregated - started,
        "pdf_s": finished - aggregated,
        "html_s": rendered - aggregated,
        "weasyprint_s": finished - rendered,
        "total_s": finished - started,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": rss_before,
        "pdf_pages": pages,
        "pdf_bytes": len(pdf),
        "html_bytes": len(html.encode()),
    }


AUDIT_TARGETS = {"audit_s": 60.0, "people_units_shown": 0.90}


def utility(figures, unit_people: dict[str, int]) -> dict:
    """Shares of what a report shows (of units with people, of people, of cells)."""
    own_rows = {r.unit_id: r for r in figures.rows if not r.is_other}
    total_people = sum(unit_people.values()) or 1
    with_people = [u for u, n in unit_people.items() if n]
    cells = [v for r in figures.rows for n, v in r.figures.items()]
    participation = {u for u, r in own_rows.items() if r.figures.get("contributors") is not None}
    return {
        "units_shown": sum(u in own_rows for u in with_people) / max(1, len(with_people)),
        "people_units_shown": sum(n for u, n in unit_people.items() if u in own_rows)
        / total_people,
        "people_participation_shown": sum(n for u, n in unit_people.items() if u in participation)
        / total_people,
        "cells_shown": sum(v is not None for v in cells) / max(1, len(cells)),
        "rows": len(figures.rows),
    }


def shown_cells(figures) -> set[tuple[str, str]]:
    return {(r.key, n) for r in figures.rows for n, v in r.figures.items() if v is not None}


def changed(before, after) -> set[str]:
    """The rows whose people a change altered (a hire's unit and its ancestors, a mover's two
    chains, a moved department's old and new areas): the only rows whose figures it touches."""
    old = {r.key: r.people for r in before.rows}
    return {r.key for r in after.rows if old.get(r.key) != r.people} | (
        set(old) - {r.key for r in after.rows}
    )


def audit_child(slug: str) -> dict:
    """Report A, then one hire / one move / one reorganisation, each followed by B (same period,
    audited against A) and C (the next period); everything rolled back."""
    import random

    from sqlalchemy import select

    from web import create_app
    from web.extensions import db
    from web.orgs.models import Membership, MembershipRole, OrgUnit, UnitKind
    from web.reports import figures as figures_module
    from web.reports.anonymity import published
    from web.reports.services import DEFAULT_PERIOD_DAYS, today
    from web.tenancy import tenant_scope
    from web.tenants.models import Tenant
    from web.users.models import User

    app = create_app(benchlib.app_config())
    tenant_id = benchlib.tenant_id(slug)
    rng = random.Random(14)  # noqa: S311 - a reproducible choice, not a secret
    out: dict = {"slug": slug}
    with app.app_context(), tenant_scope(tenant_id):
        tenant = db.session.get(Tenant, tenant_id)
        k = tenant.k_threshold
        half = DEFAULT_PERIOD_DAYS // 2  # two half-year periods: A (and B), then C
        period = figures_module.Period(
            today() - timedelta(days=2 * half), today() - timedelta(days=half + 1)
        )
        later = figures_module.Period(today() - timedelta(days=half), today())

        def unit_people() -> dict[str, int]:
            units = figures_module._report_units()
            people = figures_module._people(units.report_unit)
            key = figures_module._key
            counts: dict[str, int] = {key(u): 0 for u in units.names}
            for org_unit, members in people.items():
                counts[key(units.report_unit[org_unit])] += len(members)
            return counts

        started = time.monotonic()
        report_a = figures_module.compute(period, k, [], today())
        out["a"] = {
            "audit_s": report_a.counts["audit_ms"] / 1000,
            "total_s": time.monotonic() - started,
            "counts": report_a.counts,
            **utility(report_a, unit_people()),
        }
        earlier = published(report_a.rows)
        hidden_a = {(r.key, n) for r in report_a.rows for n, v in r.figures.items() if v is None}
        report_c0 = figures_module.compute(later, k, [], today())
        hidden_c0 = {(r.key, n) for r in report_c0.rows for n, v in r.figures.items() if v is None}
        teams = list(
            db.session.scalars(
                select(OrgUnit).where(OrgUnit.kind == UnitKind.TEAM).order_by(OrgUnit.id)
            )
        )
        departments = list(
            db.session.scalars(
                select(OrgUnit).where(OrgUnit.kind == UnitKind.DEPARTMENT).order_by(OrgUnit.id)
            )
        )
        areas = list(
            db.session.scalars(
                select(OrgUnit).where(OrgUnit.kind == UnitKind.AREA).order_by(OrgUnit.id)
            )
        )

        def hire() -> None:
            team = rng.choice(teams)
            user = User(subject="bench-hire", display_name="Ny medarbejder")
            db.session.add(user)
            db.session.flush()
            db.session.add(
                Membership(user_id=user.id, unit_id=team.id, role=MembershipRole.EMPLOYEE)
            )

        def move() -> None:
            member = db.session.scalars(
                select(Membership)
                .where(Membership.role == MembershipRole.EMPLOYEE)
                .order_by(Membership.id)
                .offset(rng.randrange(1000))
                .limit(1)
            ).one()
            member.unit_id = rng.choice(teams).id

        def reorganise() -> None:
            department = rng.choice(departments)
            others = [a for a in areas if a.id != department.parent_id]
            department.parent_id = rng.choice(others).id

        for name, change in (("hire", hire), ("move", move), ("reorganisation", reorganise)):
            savepoint = db.session.begin_nested()
            change()
            db.session.flush()
            people = unit_people()
            started = time.monotonic()
            b = figures_module.compute(period, k, earlier, today(), hidden_a)
            b_s = time.monotonic() - started
            c = figures_module.compute(later, k, [], today(), hidden_c0)
            lost_b = {key for key, _ in shown_cells(report_a) - shown_cells(b)}
            lost_c = {key for key, _ in shown_cells(report_c0) - shown_cells(c)}
            out[name] = {
                "b_same_period": {
                    "audit_s": b.counts["audit_ms"] / 1000,
                    "total_s": b_s,
                    **utility(b, people),
                    "units_losing_a_cell": len(lost_b),
                    "units_losing_a_cell_besides_own": len(lost_b - changed(report_a, b)),
                },
                "c_next_period": {
                    "audit_s": c.counts["audit_ms"] / 1000,
                    **utility(c, people),
                    "units_losing_a_cell": len(lost_c),
                    "units_losing_a_cell_besides_own": len(lost_c - changed(report_c0, c)),
                },
            }
            savepoint.rollback()
        db.session.rollback()
    return out


def audit_main() -> None:
    benchlib.ensure_tenant("bench")
    output = subprocess.run(  # noqa: S603 - this very script
        [sys.executable, __file__, "--audit-child", "bench"],
        check=True,
        capture_output=True,
        text=True,
        cwd=benchlib.REPO,
        env=benchlib.app_env(),
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    a = result["a"]
    print(
        f"report A, 50,000 people: audit {a['audit_s']:.1f} s (whole figures {a['total_s']:.1f}"
        f" s); units shown {a['units_shown']:.1%}, people's units shown "
        f"{a['people_units_shown']:.1%}, participation shown for "
        f"{a['people_participation_shown']:.1%} of people, cells shown {a['cells_shown']:.1%}"
    )
    for name in ("hire", "move", "reorganisation"):
        for which, label in (
            ("b_same_period", "B same period"),
            ("c_next_period", "C next period"),
        ):
            r = result[name][which]
            print(
                f"  after one {name:15} {label}: audit {r['audit_s']:5.1f} s; units shown "
                f"{r['units_shown']:.1%}, people's units {r['people_units_shown']:.1%}, "
                f"participation {r['people_participation_shown']:.1%}, cells "
                f"{r['cells_shown']:.1%}; units losing a shown cell: {r['units_losing_a_cell']}"
                f" ({r['units_losing_a_cell_besides_own']} besides the rows the change altered)"
            )
    worst_audit = max(
        [a["audit_s"]]
        + [result[n]["b_same_period"]["audit_s"] for n in ("hire", "move", "reorganisation")]
    )
    worst_people = min(
        [a["people_units_shown"]]
        + [
            result[n][w]["people_units_shown"]
            for n in ("hire", "move", "reorganisation")
            for w in ("b_same_period", "c_next_period")
        ]
    )
    hire_extra = max(
        result["hire"][w]["units_losing_a_cell_besides_own"]
        for w in ("b_same_period", "c_next_period")
    )
    met = {
        "audit_s": worst_audit <= AUDIT_TARGETS["audit_s"],
        "people_units_shown": worst_people >= AUDIT_TARGETS["people_units_shown"],
        "one_hire_hides_only_its_unit": hire_extra == 0,
    }
    verdict = "met" if met["audit_s"] else "NOT MET"
    print(f"audit worst {worst_audit:.1f} s (target <= 60): {verdict}")
    print(
        f"people's units shown, worst {worst_people:.1%} (target >= 90 %): "
        f"{'met' if met['people_units_shown'] else 'NOT MET'}"
    )
    print(
        f"one hire hides cells of {hire_extra} rows it did not alter (target 0): "
        f"{'met' if met['one_hire_hides_only_its_unit'] else 'NOT MET'}"
    )
    benchlib.save("report_audit", {"result": result, "targets": AUDIT_TARGETS, "met": met})


def run_child(slug: str) -> dict:
    output = subprocess.run(  # noqa: S603 - this very script
        [sys.executable, __file__, "--child", slug],
        check=True,
        capture_output=True,
        text=True,
        cwd=benchlib.REPO,
        env=benchlib.app_env(),
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--audit", action="store_true", help="the anonymity engine (issue 14)")
    parser.add_argument("--audit-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.audit_child:
        print(json.dumps(audit_child(args.audit_child)))
        return
    if args.audit:
        audit_main()
        return
    if args.child:
        print(json.dumps(child(args.child)))
        return

    for slug in SIZES:
        benchlib.ensure_tenant(slug)
    runs: dict[str, list[dict]] = {slug: [] for slug in SIZES}
    for round_ in range(args.repeat):
        for slug in SIZES:
            run = run_child(slug)
            runs[slug].append(run)
            print(
                f"  round {round_ + 1} {slug:10} {run['people']:>7,} people: aggregates "
                f"{run['aggregates_s']:5.2f} s, HTML+PDF {run['pdf_s']:5.2f} s (HTML "
                f"{run['html_s']:.2f} s, WeasyPrint {run['weasyprint_s']:.2f} s, "
                f"{run['pdf_pages']} pages), peak RSS {run['peak_rss_mb']:.0f} MB"
            )
    summary = {}
    for slug, found in runs.items():
        summary[slug] = {
            key: benchlib.median([r[key] for r in found])
            for key in ("aggregates_s", "pdf_s", "html_s", "weasyprint_s", "total_s", "peak_rss_mb")
        }
        summary[slug]["people"] = found[0]["people"]
        summary[slug]["total_spread"] = benchlib.spread([r["total_s"] for r in found])
    full, half = summary["bench"], summary["bench-half"]
    doubling = full["total_s"] / half["total_s"]
    verdicts = {
        "aggregates_s": full["aggregates_s"] <= TARGETS["aggregates_s"],
        "pdf_s": full["pdf_s"] <= TARGETS["pdf_s"],
        "peak_rss_mb": full["peak_rss_mb"] <= TARGETS["peak_rss_mb"],
        "doubling": doubling <= TARGETS["doubling"],
    }
    print()
    print(
        f"{'':24} {'people':>8} {'aggregates s':>13} {'HTML+PDF s':>11} {'total s':>8} "
        f"{'peak RSS MB':>12}"
    )
    for slug in SIZES:
        s = summary[slug]
        print(
            f"{slug:24} {s['people']:>8,} {s['aggregates_s']:>13.2f} {s['pdf_s']:>11.2f} "
            f"{s['total_s']:>8.2f} {s['peak_rss_mb']:>12.0f}"
        )
    print(f"50,000 vs 25,000: {doubling:.2f}x the time (target <= 2.2)")
    for key, ok in verdicts.items():
        print(f"  {key}: {'met' if ok else 'NOT MET'} (target {TARGETS[key]})")
    benchlib.save(
        "report",
        {
            "summary": summary,
            "doubling": doubling,
            "targets": TARGETS,
            "met": verdicts,
            "runs": runs,
        },
    )


if __name__ == "__main__":
    main()
