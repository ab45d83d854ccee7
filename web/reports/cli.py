"""``flask reports generate SLUG``: make a report now, in this process (no worker needed)."""

from __future__ import annotations

import time
from datetime import date, timedelta

import click
from flask.cli import AppGroup

from web.extensions import db
from web.reports import services
from web.reports.models import Report, ReportTrigger
from web.tenancy import tenant_scope
from web.tenants.services import get_by_slug

reports_cli = AppGroup("reports", help="Hovedudvalg reports.")


@reports_cli.command("generate")
@click.argument("tenant_slug")
@click.option("--from", "period_start", type=click.DateTime(["%Y-%m-%d"]),
              help="First day of the period (default: a year before --to).")
@click.option("--to", "period_end", type=click.DateTime(["%Y-%m-%d"]),
              help="Last day of the period (default: today).")
def generate_command(tenant_slug: str, period_start, period_end) -> None:
    """Generate an anonymised report for a period, with a progress bar."""
    tenant = get_by_slug(tenant_slug)
    if tenant is None:
        raise click.ClickException(f"No tenant '{tenant_slug}'.")
    with tenant_scope(tenant.id):
        end: date = period_end.date() if period_end else services.today()
        start = period_start.date() if period_start else \
            end - timedelta(days=services.DEFAULT_PERIOD_DAYS - 1)
        report = Report(period_start=start, period_end=end,
                                 trigger=ReportTrigger.ON_DEMAND, locale=tenant.default_locale)
        db.session.add(report)
        db.session.flush()
        timer = services.Timer(time.monotonic())
        run = services.start_run(report)
        with click.progressbar(length=100, label="Generating") as bar:
            state = {"shown": 0}

            def progress(percent: int) -> None:
                bar.update(max(0, percent - state["shown"]))
                state["shown"] = max(state["shown"], percent)

            try:
                counts = services.build(report, progress)
            except Exception as exc:
                db.session.rollback()
                raise click.ClickException(f"The report failed: {exc}") from exc
            services.finish_run(report, run, counts, timer)
            db.session.commit()
            bar.update(100 - state["shown"])
    click.echo(f"Report {report.id}: {start} – {end}, {counts['rows_shown']} rows, "
               f"{counts['pdf_pages']} PDF pages, {run.duration_ms} ms.")
