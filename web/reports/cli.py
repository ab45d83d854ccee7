"""``flask reports generate SLUG``: make a report now, in this process (no worker needed).

The same request (``services.request_report``: the period's checks) and the same run
(``tasks.run_report``) as the page and its task; only the progress goes to a bar.
"""

from __future__ import annotations

from datetime import date, timedelta

import click
from flask.cli import AppGroup

from web.commands import percent_bar, tenant_named
from web.errors import Refusal
from web.extensions import db
from web.reports import services
from web.reports.models import Report, ReportRun
from web.reports.tasks import run_report
from web.tenancy import tenant_scope

reports_cli = AppGroup("reports", help="Hovedudvalg reports.")


@reports_cli.command("generate")
@click.argument("tenant_slug")
@click.option(
    "--from",
    "period_start",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day of the period (default: a year before --to).",
)
@click.option(
    "--to",
    "period_end",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Last day of the period (default: today).",
)
def generate_command(tenant_slug: str, period_start, period_end) -> None:
    """Generate an anonymised report for a period, with a progress bar."""
    tenant = tenant_named(tenant_slug)
    with tenant_scope(tenant.id):
        end: date = period_end.date() if period_end else services.today()
        start = (
            period_start.date()
            if period_start
            else end - timedelta(days=services.DEFAULT_PERIOD_DAYS - 1)
        )
        try:
            report = services.request_report(
                None, period_start=start, period_end=end, locale=tenant.default_locale
            )
        except Refusal as exc:
            raise click.ClickException(" ".join(exc.errors.values())) from None
        db.session.commit()
        report_id = report.id
        with percent_bar("Generating") as progress:
            outcome = run_report(tenant.id, report_id, lambda percent: progress(percent, 100))
        db.session.commit()  # the failure, as the task's commit would record it
        report = db.session.get(Report, report_id)
        if outcome["status"] != "done":
            raise click.ClickException(f"The report failed: {report.error}")
        run = db.session.scalar(
            db.select(ReportRun).filter_by(report_id=report_id).order_by(ReportRun.id.desc())
        )
    counts = outcome["counts"]
    click.echo(
        f"Report {report_id}: {start} – {end}, {counts['rows_shown']} rows, "
        f"{counts['pdf_pages']} PDF pages, {run.duration_ms} ms."
    )
