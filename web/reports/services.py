"""Hovedudvalg reports: requesting and scheduling them, and the steps of one run.

A report is requested by HR (a period) or scheduled before each Hovedudvalg meeting
(``tenant.settings["hu_meeting_dates"]``, ISO dates; generated ``hu_report_lead_days`` days
before, 10 by default). A Celery task runs it (``web.reports.tasks``): ``start_run`` →
``build`` (figures → anonymity rules → HTML → PDF, with progress) → ``finish_run``, or
``fail_run``. Every run leaves a ``ReportRun`` with its inputs' counts and its duration.

Writers flush; the caller commits. Bad input raises ``InputError`` before anything is written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from web.errors import InputError
from web.extensions import db
from web.inputs import Day, read
from web.models import today, utcnow
from web.permissions import Permission, can, has_role
from web.reports import figures as figures_module
from web.reports.anonymity import PublishedRow, ShownRow
from web.reports.models import Report, ReportRun, ReportStatus, ReportTrigger, RunStatus
from web.reports.render import Document, render_html, render_pdf, selection
from web.tenancy import current_tenant_id, tenant_lock
from web.tenants.models import Tenant
from web.themes.services import period_themes
from web.users.models import TenantRoleName, User

log = logging.getLogger(__name__)

DEFAULT_LEAD_DAYS = 10
MAX_PERIOD_DAYS = 3 * 366
DEFAULT_PERIOD_DAYS = 365

Progress = Callable[[int], None]


def may_request(user: User | None) -> bool:
    """HR requests reports on demand; Hovedudvalg members read them."""
    return can(user, Permission.READ_REPORTS) and has_role(user, TenantRoleName.HR)


# --- requests and the schedule ----------------------------------------------------------------


def request_report(
    user: User | None, *, period_start: object, period_end: object, locale: str
) -> Report:
    """A report asked for now (by ``user``, or by an operator at the command line)."""
    errors: dict[str, str] = {}
    start = _parse_date(errors, "period_start", period_start)
    end = _parse_date(errors, "period_end", period_end)
    if start and end:
        if end < start:
            errors["period_end"] = _("Perioden kan ikke slutte, før den begynder.")
        elif end > today():
            errors["period_end"] = _("Perioden kan ikke slutte i fremtiden.")
        elif (end - start).days > MAX_PERIOD_DAYS:
            errors["period_start"] = _("En periode kan højst være tre år.")
    if errors:
        raise InputError(errors)
    report = Report(
        period_start=start,
        period_end=end,
        trigger=ReportTrigger.ON_DEMAND,
        requested_by_id=user.id if user else None,
        locale=locale,
    )
    db.session.add(report)
    db.session.flush()
    return report


def _parse_date(errors: dict[str, str], field: str, value: object) -> date | None:
    raw = value.isoformat() if isinstance(value, date) else value
    return read(errors, field, raw if isinstance(raw, str) else None, Day, required=True)


def meeting_dates(tenant: Tenant) -> list[date]:
    """The tenant's Hovedudvalg meeting dates, sorted; malformed entries are skipped (logged)."""
    dates = []
    for raw in (tenant.settings or {}).get("hu_meeting_dates", []):
        try:
            dates.append(date.fromisoformat(str(raw)))
        except ValueError:
            log.warning("tenant %s: hu_meeting_dates has a malformed date %r", tenant.slug, raw)
    return sorted(set(dates))


def lead_days(tenant: Tenant) -> int:
    try:
        return max(0, int((tenant.settings or {}).get("hu_report_lead_days", DEFAULT_LEAD_DAYS)))
    except (TypeError, ValueError):
        return DEFAULT_LEAD_DAYS


def schedule_due_reports(tenant: Tenant, on: date) -> list[Report]:
    """Create the scheduled reports whose day has come (``lead`` days before a meeting, or
    later if a day was missed, until the meeting). Idempotent: one report per meeting."""
    lead = timedelta(days=lead_days(tenant))
    meetings = meeting_dates(tenant)
    existing = set(
        db.session.scalars(select(Report.meeting_on).where(Report.meeting_on.is_not(None)))
    )
    created = []
    for i, meeting in enumerate(meetings):
        if meeting in existing or not (meeting - lead <= on <= meeting):
            continue
        end = meeting - lead
        start = (
            meetings[i - 1] - lead + timedelta(days=1)
            if i > 0
            else end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        )
        report = Report(
            period_start=start,
            period_end=end,
            meeting_on=meeting,
            trigger=ReportTrigger.SCHEDULED,
            locale=tenant.default_locale,
        )
        try:
            with db.session.begin_nested():  # another beat may have made it a moment ago
                db.session.add(report)
        except IntegrityError:
            continue
        created.append(report)
    return created


# --- one run ----------------------------------------------------------------------------------


@dataclass
class Timer:
    started: float

    def ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)


def start_run(report: Report) -> ReportRun:
    """Mark the report running and open its run log entry. Flushes.

    A run still "running" from before was interrupted (its worker died and the task came back):
    it is closed as failed, so the log never shows two runs at once.
    """
    for stale in db.session.scalars(
        select(ReportRun).where(
            ReportRun.report_id == report.id, ReportRun.status == RunStatus.RUNNING
        )
    ):
        stale.status, stale.error, stale.finished_at = RunStatus.FAILED, "interrupted", utcnow()
    report.status, report.progress, report.error = ReportStatus.RUNNING, 1, None
    run = ReportRun(report_id=report.id, started_at=utcnow(), status=RunStatus.RUNNING, counts={})
    db.session.add(run)
    db.session.flush()
    return run


def build(report: Report, progress: Progress) -> dict[str, int]:
    """Compute, render and store the report (HTML, PDF, published groups). Flushes.

    Holds the tenant's report lock until the caller commits, so two runs of one tenant never
    miss each other's published rows (the audit between reports).
    """
    tenant = db.session.get(Tenant, current_tenant_id())
    tenant_lock("report")
    period = figures_module.Period(report.period_start, report.period_end)
    audience = overlapping_reports(report.id, period)
    k = series_k(tenant, audience)
    progress(10)
    figures = figures_module.compute(
        period, k, earlier_rows(audience), today(), previously_hidden(report.id)
    )
    progress(40)
    chosen = selection(period)
    themes = period_themes(report.period_start, report.period_end, k)
    progress(50)
    document = Document(
        tenant_name=tenant.name,
        period=period,
        k=k,
        figures=figures,
        entries=chosen,
        generated_on=today(),
        meeting_on=report.meeting_on,
        themes=themes,
    )
    with force_locale(report.locale):
        html = render_html(document)
        progress(70)
        pdf, pages = render_pdf(html)
    progress(95)
    report.html, report.pdf, report.k_threshold = html, pdf, k
    # Person ids: for the audit of later reports only, never shown (see the model).
    report.published_groups = sorted(sorted(r.people) for r in figures.rows)
    report.published_rows = [_stored(row) for row in figures.rows]
    db.session.flush()
    return {
        **figures.counts,
        "entries": len(chosen),
        "html_bytes": len(html.encode()),
        "pdf_bytes": len(pdf),
        "pdf_pages": pages,
        "themes": len(themes),
    }


def finish_run(report: Report, run: ReportRun, counts: dict[str, int], timer: Timer) -> None:
    report.status, report.progress, report.finished_at = ReportStatus.DONE, 100, utcnow()
    run.status, run.counts = RunStatus.SUCCEEDED, counts
    run.finished_at, run.duration_ms = utcnow(), timer.ms()
    db.session.flush()


def fail_run(report_id: int, run_id: int | None, error: BaseException, timer: Timer) -> None:
    """After a rollback: record the failure (the error's type and message, never data)."""
    message = f"{type(error).__name__}: {error}"[:1000]
    report = db.session.get(Report, report_id)
    if report is not None:
        report.status, report.error, report.finished_at = ReportStatus.FAILED, message, utcnow()
    run = db.session.get(ReportRun, run_id) if run_id else None
    if run is not None:
        run.status, run.error = RunStatus.FAILED, message
        run.finished_at, run.duration_ms = utcnow(), timer.ms()
    db.session.flush()


def overlapping_reports(report_id: int | None, period: figures_module.Period) -> list[Report]:
    """The finished reports to the same audience (the tenant's Hovedudvalg) whose period
    overlaps ``period``: their figures count the same events, so the audit covers them.
    Reports of other periods count other events and do not constrain this one."""
    return list(
        db.session.scalars(
            select(Report)
            .options(undefer(Report.published_rows))
            .where(
                Report.status == ReportStatus.DONE,
                Report.id != (report_id or 0),
                Report.period_start <= period.end,
                Report.period_end >= period.start,
            )
            .order_by(Report.id)
        )
    )


def series_k(tenant: Tenant, overlapping: list[Report]) -> int:
    """k is fixed for a report series: a period already reported on keeps the k it was
    published with (the highest, if it changed), a change of the tenant's k applies from the
    next period on."""
    used = [r.k_threshold for r in overlapping if r.k_threshold]
    return max(used) if used else tenant.k_threshold


def earlier_rows(reports: list[Report]) -> list[PublishedRow]:
    return [
        PublishedRow(
            key=row["key"],
            people=frozenset(row["people"]),
            parts=frozenset(row["parts"]),
            cells={n: int(v) for n, v in row["cells"].items()},
        )
        for report in reports
        for row in report.published_rows or ()
    ]


def previously_hidden(report_id: int | None) -> set[tuple[str, str]]:
    """The cells the latest finished report hid, so the optimiser keeps the pattern."""
    latest = db.session.scalar(
        select(Report)
        .options(undefer(Report.published_rows))
        .where(Report.status == ReportStatus.DONE, Report.id != (report_id or 0))
        .order_by(Report.period_end.desc(), Report.id.desc())
        .limit(1)
    )
    if latest is None:
        return set()
    return {
        (row["key"], name) for row in latest.published_rows or () for name in row.get("hidden", ())
    }


def _stored(row: ShownRow) -> dict:
    return {
        "key": row.key,
        "people": sorted(row.people),
        "parts": sorted(row.parts),
        "cells": {n: v for n, v in row.figures.items() if v is not None},
        "hidden": sorted(n for n, v in row.figures.items() if v is None),
    }


# --- reading ----------------------------------------------------------------------------------


def list_reports(limit: int = 100) -> list[Report]:
    return list(
        db.session.scalars(
            select(Report).order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)
        )
    )


def last_run(report: Report) -> ReportRun | None:
    return db.session.scalar(
        select(ReportRun)
        .where(ReportRun.report_id == report.id)
        .order_by(ReportRun.id.desc())
        .limit(1)
    )
