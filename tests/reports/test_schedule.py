"""Reports scheduled from the tenant's Hovedudvalg meeting dates."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from web.extensions import db
from web.reports import services
from web.reports.models import Report, ReportStatus, ReportTrigger

MEETINGS = ["2026-03-20", "2026-06-15", "ikke en dato", "2026-09-01"]


def schedule(make, scope, tenant, on: str) -> list[tuple]:
    with scope(tenant):
        created = services.schedule_due_reports(db.session.merge(tenant), date.fromisoformat(on))
        db.session.commit()
        return [
            (r.meeting_on.isoformat(), r.period_start.isoformat(), r.period_end.isoformat())
            for r in created
        ]


def test_a_report_is_made_ten_days_before_each_meeting_once(make, scope):
    tenant = make.tenant("hu", settings={"hu_meeting_dates": MEETINGS})
    assert schedule(make, scope, tenant, "2026-06-04") == []  # too early
    assert schedule(make, scope, tenant, "2026-06-05") == [
        ("2026-06-15", "2026-03-11", "2026-06-05")
    ]  # from after the previous report's period
    assert schedule(make, scope, tenant, "2026-06-05") == []  # a second beat: nothing new
    assert schedule(make, scope, tenant, "2026-06-12") == []
    assert schedule(make, scope, tenant, "2026-06-16") == []  # the meeting has been
    with scope(tenant):
        [report] = db.session.scalars(select(Report))
        assert (report.trigger, report.status, report.locale) == (
            ReportTrigger.SCHEDULED,
            ReportStatus.QUEUED,
            "da",
        )


def test_a_missed_day_is_caught_up_and_the_first_meeting_covers_a_year(make, scope):
    tenant = make.tenant(
        "hu2",
        default_locale="en",
        settings={"hu_meeting_dates": MEETINGS, "hu_report_lead_days": 5},
    )
    assert schedule(make, scope, tenant, "2026-03-17") == [
        ("2026-03-20", "2025-03-16", "2026-03-15")
    ]


def test_no_dates_no_reports(make, scope):
    assert schedule(make, scope, make.tenant("ingen"), "2026-06-05") == []


def test_the_command_line_makes_a_report_with_a_progress_bar(app, town):
    from tests.reports.town import PERIOD

    result = app.test_cli_runner().invoke(
        args=[
            "reports",
            "generate",
            "solby",
            "--from",
            PERIOD[0].isoformat(),
            "--to",
            PERIOD[1].isoformat(),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Generating" in result.output  # the bar itself is drawn on a terminal only
    assert "8 rows" in result.output
    assert app.test_cli_runner().invoke(args=["reports", "generate", "nowhere"]).exit_code == 1
