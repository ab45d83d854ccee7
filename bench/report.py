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
        document = Document(tenant_name=tenant.name, period=period, k=tenant.k_threshold,
                            figures=figures, entries=selection(period), generated_on=end,
                            meeting_on=None)
        with force_locale(tenant.default_locale):
            html = render_html(document)
            rendered = time.monotonic()
            pdf, pages = render_pdf(html)
        finished = time.monotonic()
        db.session.rollback()
    return {"slug": slug, "people": figures.counts["people"], "counts": figures.counts,
            "aggregates_s": aggregated - started, "pdf_s": finished - aggregated,
            "html_s": rendered - aggregated, "weasyprint_s": finished - rendered,
            "total_s": finished - started, "peak_rss_mb": peak_rss_mb(),
            "rss_before_mb": rss_before, "pdf_pages": pages, "pdf_bytes": len(pdf),
            "html_bytes": len(html.encode())}


def run_child(slug: str) -> dict:
    output = subprocess.run(  # noqa: S603 - this very script
        [sys.executable, __file__, "--child", slug], check=True, capture_output=True, text=True,
        cwd=benchlib.REPO, env=benchlib.app_env()).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
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
            print(f"  round {round_ + 1} {slug:10} {run['people']:>7,} people: aggregates "
                  f"{run['aggregates_s']:5.2f} s, HTML+PDF {run['pdf_s']:5.2f} s (HTML "
                  f"{run['html_s']:.2f} s, WeasyPrint {run['weasyprint_s']:.2f} s, "
                  f"{run['pdf_pages']} pages), peak RSS {run['peak_rss_mb']:.0f} MB")
    summary = {}
    for slug, found in runs.items():
        summary[slug] = {key: benchlib.median([r[key] for r in found])
                         for key in ("aggregates_s", "pdf_s", "html_s", "weasyprint_s",
                                     "total_s", "peak_rss_mb")}
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
    print(f"{'':24} {'people':>8} {'aggregates s':>13} {'HTML+PDF s':>11} {'total s':>8} "
          f"{'peak RSS MB':>12}")
    for slug in SIZES:
        s = summary[slug]
        print(f"{slug:24} {s['people']:>8,} {s['aggregates_s']:>13.2f} {s['pdf_s']:>11.2f} "
              f"{s['total_s']:>8.2f} {s['peak_rss_mb']:>12.0f}")
    print(f"50,000 vs 25,000: {doubling:.2f}x the time (target <= 2.2)")
    for key, ok in verdicts.items():
        print(f"  {key}: {'met' if ok else 'NOT MET'} (target {TARGETS[key]})")
    benchlib.save("report", {"summary": summary, "doubling": doubling, "targets": TARGETS,
                             "met": verdicts, "runs": runs})


if __name__ == "__main__":
    main()
