"""Generating reports: one task per report, and a daily check of the Hovedudvalg meeting dates.

A run commits three times, on purpose: "running" first (so the page shows it), then the
finished report with its run log (one transaction: never "done" without its files), or, after a
rollback, the failure. Progress goes through a connection of its own so that the page sees it
while the work's transaction is still open.
"""

from __future__ import annotations

import logging
import time

from celery import shared_task
from sqlalchemy import text, update

from web.extensions import db
from web.reports import services
from web.reports.models import Report, ReportStatus
from web.tasking import enqueue_after_commit, fan_out, tenant_task
from web.tenants.models import Tenant

log = logging.getLogger(__name__)


def progress_writer(tenant_id: int, report_id: int) -> services.Progress:
    """Write the percentage in its own short transaction (visible at once to the web page).

    A connection of its own carries no tenant: it names it for row-level security itself, and
    the statement names both the tenant and the report.
    """

    def write(percent: int) -> None:
        table = Report.__table__
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT set_config('app.tenant_id', :tenant, true)"),
                    {"tenant": str(tenant_id)},
                )
            conn.execute(
                update(table)
                .where(table.c.id == report_id, table.c.tenant_id == tenant_id)
                .values(progress=max(1, min(99, percent)))
            )

    return write


@shared_task(name="web.reports.tasks.generate_report")
@tenant_task
def generate_report(tenant_id: int, report_id: int) -> dict:
    return run_report(tenant_id, report_id, progress_writer(tenant_id, report_id))


def run_report(tenant_id: int, report_id: int, progress: services.Progress) -> dict:
    """The task's body, inside the tenant's scope (``flask reports generate`` runs it too)."""
    report = db.session.get(Report, report_id)
    if report is None or report.status == ReportStatus.DONE:
        return {"report": report_id, "status": "skipped"}  # gone, or a redelivered task
    timer = services.Timer(time.monotonic())
    run = services.start_run(report)
    run_id = run.id
    db.session.commit()
    try:
        counts = services.build(report, progress)
        services.finish_run(report, run, counts, timer)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        log.exception("report %s of tenant %s failed", report_id, tenant_id)
        services.fail_run(report_id, run_id, exc, timer)
        return {"report": report_id, "status": "failed"}
    log.info(
        "report %s of tenant %s done in %s ms: %s", report_id, tenant_id, run.duration_ms, counts
    )
    return {"report": report_id, "status": "done", "counts": counts}


@shared_task(name="web.reports.tasks.schedule_all_reports")
def schedule_all_reports() -> int:
    """Daily: one check per tenant of its Hovedudvalg meeting dates."""
    return fan_out(schedule_reports)


@shared_task(name="web.reports.tasks.schedule_reports")
@tenant_task
def schedule_reports(tenant_id: int) -> list[int]:
    tenant = db.session.get(Tenant, tenant_id)
    created = services.schedule_due_reports(tenant, services.today())
    for report in created:
        enqueue_after_commit(generate_report, tenant_id, report.id)
    return [r.id for r in created]
