"""Reports for HR and Hovedudvalg members: the list, a request, progress and the downloads."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, g, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from web.audit.services import record
from web.errors import Refusal
from web.extensions import db
from web.forms import invalid, saved
from web.inputs import text
from web.permissions import Permission, require
from web.reports import services
from web.reports.models import Report, ReportStatus
from web.reports.tables import published_tables
from web.tablefilters import OneOf, export, read_filters
from web.tasking import enqueue_after_commit
from web.tenancy import get_or_404

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

REFRESH_SECONDS = 2


@bp.before_request
def _readers_only() -> None:
    require(g.get("user"), Permission.READ_REPORTS)


@bp.get("/")
def index():
    end = services.today()
    values = {
        "period_start": (end - timedelta(days=services.DEFAULT_PERIOD_DAYS - 1)).isoformat(),
        "period_end": end.isoformat(),
    }
    return _render_index(values, {})


def _render_index(values, errors: dict[str, str]):
    # Not web.forms.form_page: its rollback on a refused request would expire the listed
    # reports, and the page would then load them again one by one. request_report refuses
    # before it writes, so there is nothing to roll back.
    return render_template(
        "reports/index.html",
        reports=services.list_reports(),
        may_request=services.may_request(g.user),
        values=values,
        errors=errors,
        meetings=services.meeting_dates(g.tenant),
        lead_days=services.lead_days(g.tenant),
    ), 422 if errors else 200


@bp.post("/")
def create():
    if not services.may_request(g.user):
        abort(403)
    try:
        report = services.request_report(
            g.user,
            period_start=request.form.get("period_start"),
            period_end=request.form.get("period_end"),
            locale=str(get_locale()),
        )
    except Refusal as exc:
        return _render_index(request.form, exc.errors)
    from web.reports.tasks import generate_report

    enqueue_after_commit(generate_report, g.tenant.id, report.id)
    record(
        "reports.requested",
        actor=g.user,
        target=report,
        period_start=report.period_start.isoformat(),
        period_end=report.period_end.isoformat(),
    )
    return saved(
        _("Rapporten dannes nu. Siden opdaterer sig selv, til den er klar."),
        url_for(".detail", report_id=report.id),
    )


@bp.get("/<int:report_id>")
def detail(report_id: int):
    report = get_or_404(Report, report_id)
    running = report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)
    response = Response(
        render_template(
            "reports/detail.html", report=report, running=running, run=services.last_run(report)
        )
    )
    if running:  # a plain refresh instead of JavaScript: the page shows the new percentage
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@bp.get("/<int:report_id>/progress.json")
def progress(report_id: int):
    report = get_or_404(Report, report_id)
    return {"status": report.status.value, "progress": report.progress}


@bp.get("/<int:report_id>/rapport.html")
def html(report_id: int):
    report = _finished(report_id)
    record("reports.downloaded", actor=g.user, target=report, format="html")
    db.session.commit()
    response = Response(report.html, mimetype="text/html")
    # The document is self-contained: inline styles and SVG, no scripts, nothing fetched.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    return response


@bp.get("/<int:report_id>/rapport.pdf")
def pdf(report_id: int):
    report = _finished(report_id)
    record("reports.downloaded", actor=g.user, target=report, format="pdf")
    db.session.commit()
    name = f"hovedudvalg-rapport-{report.period_start}-{report.period_end}.pdf"
    return Response(
        report.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _finished(report_id: int) -> Report:
    report = get_or_404(Report, report_id)
    if report.status != ReportStatus.DONE:
        abort(404)
    return report


@bp.get("/<int:report_id>/tables")
def tables(report_id: int):
    """The report's tables, one at a time, filtered by the unit's (or category's) name, and
    downloaded as CSV/XLSX: exactly the cells the report publishes (``web.reports.tables``)."""
    report = _finished(report_id)
    found = published_tables(
        db.session.scalar(db.select(Report.html).where(Report.id == report.id))
    )
    flt = read_filters(
        request.args, {"which": OneOf(lambda: [t.code for t in found]), "name": text(200)}
    )
    context = {
        "report": report,
        "args": request.args,
        "table_options": [(t.code, t.title) for t in found],
    }
    if flt.errors:
        return invalid("reports/tables.html", flt.errors, table=None, rows=[], **context)
    table = next((t for t in found if t.code == (flt["which"] or "1")), None)
    if table is None:
        abort(404)
    rows = table.matching(flt["name"])
    if flt.fmt:
        return export(
            flt, f"rapport-{report.id}-tabel-{table.code}", table.header, rows, sheet=table.title
        )
    return render_template("reports/tables.html", errors={}, table=table, rows=rows, **context)
