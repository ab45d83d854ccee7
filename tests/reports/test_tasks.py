"""The task's progress writer: its own short transaction, bound to the tenant (also by RLS)."""

from __future__ import annotations

from datetime import date

from web.extensions import db
from web.reports.models import Report, ReportTrigger
from web.reports.tasks import progress_writer
from web.tenancy import tenant_scope


def test_progress_is_written_beside_the_open_transaction(app, committed_make):
    tenant, other = committed_make.tenant("fremdrift"), committed_make.tenant("andre")
    with committed_make.scope(tenant):
        report = Report(
            period_start=date(2026, 1, 1),
            period_end=date(2026, 6, 30),
            trigger=ReportTrigger.ON_DEMAND,
        )
        db.session.add(report)
    with app.app_context(), tenant_scope(tenant.id):
        db.session.get(Report, report.id).status  # noqa: B018 - a transaction stays open
        progress_writer(tenant.id, report.id)(42)
        progress_writer(other.id, report.id)(77)  # another tenant's id changes nothing
        db.session.rollback()
        assert db.session.get(Report, report.id).progress == 42  # seen by other transactions
        progress_writer(tenant.id, report.id)(250)  # kept below 100 until the report is done
        db.session.rollback()
        assert db.session.get(Report, report.id).progress == 99
        db.session.remove()
