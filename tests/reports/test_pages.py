"""The report pages: who may list, request and download; progress; bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.reports.town import TODAY, town_with_neighbour
from web.extensions import db
from web.reports.models import Report, ReportStatus, ReportTrigger


@pytest.fixture(scope="module")
def town(module_make):
    """Built once for the module (module_db); each test runs in a savepoint."""
    return town_with_neighbour(module_make)


@pytest.fixture
def done(town, make) -> Report:
    """A finished report (the bytes are stand-ins: these tests are about the pages)."""
    with make.scope(town.tenant):
        report = Report(
            period_start=TODAY - timedelta(days=30),
            period_end=TODAY,
            trigger=ReportTrigger.ON_DEMAND,
            status=ReportStatus.DONE,
            progress=100,
            html="<!doctype html><title>Rapport</title><h1>Rapport</h1>",
            pdf=b"%PDF-1.7 stand-in",
            published_groups=[[1, 2, 3, 4, 5]],
        )
        db.session.add(report)
    return report


@pytest.fixture
def no_tasks_left(app):
    yield
    app.extensions["celery"].control.purge()  # what the requests queued; no worker here


@pytest.mark.parametrize(
    ("who", "listing", "download", "request_status"),
    [
        ("employee", 403, 403, 403),
        ("leader", 403, 403, 403),
        ("admin", 403, 403, 403),
        ("hovedudvalg", 200, 200, 403),
        ("hr", 200, 200, 302),
    ],
)
def test_who_may_read_download_and_request(
    town, login, done, no_tasks_left, who, listing, download, request_status
):
    client = login(getattr(town, who))
    assert client.get("/t/solby/reports/").status_code == listing
    assert client.get(f"/t/solby/reports/{done.id}").status_code == listing
    assert client.get(f"/t/solby/reports/{done.id}/rapport.pdf").status_code == download
    assert client.get(f"/t/solby/reports/{done.id}/rapport.html").status_code == download
    response = client.post(
        "/t/solby/reports/",
        data={
            "period_start": (TODAY - timedelta(days=90)).isoformat(),
            "period_end": TODAY.isoformat(),
        },
    )
    assert response.status_code == request_status


def test_signed_out_and_another_tenant(town, client, login, done):
    assert client.get("/t/solby/reports/").status_code == 401
    neighbour = login(town.neighbour_hr)
    assert neighbour.get(f"/t/nabo/reports/{done.id}").status_code == 404
    assert neighbour.get(f"/t/nabo/reports/{done.id}/rapport.pdf").status_code == 404
    assert neighbour.get(f"/t/nabo/reports/{done.id}/progress.json").status_code == 404
    assert neighbour.get("/t/solby/reports/").status_code == 401  # signed in elsewhere


def test_downloads(town, login, done):
    client = login(town.hovedudvalg)
    pdf = client.get(f"/t/solby/reports/{done.id}/rapport.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    html = client.get(f"/t/solby/reports/{done.id}/rapport.html")
    assert (
        html.mimetype == "text/html"
        and "default-src 'none'" in html.headers["Content-Security-Policy"]
    )
    listing = client.get("/t/solby/reports/").get_data(as_text=True)
    assert "Klar" in listing and "Dan rapport" not in listing  # no request form for HU
    assert "<style" not in listing and ' style="' not in listing  # the CSP allows none
    # The published groups are person ids: on no page.
    assert "[1, 2, 3, 4, 5]" not in listing
    assert "1, 2, 3" not in client.get(f"/t/solby/reports/{done.id}").get_data(as_text=True)


def test_hr_requests_a_report_and_watches_its_progress(town, make, login, no_tasks_left):
    client = login(town.hr)
    response = client.post(
        "/t/solby/reports/",
        data={
            "period_start": (TODAY - timedelta(days=90)).isoformat(),
            "period_end": TODAY.isoformat(),
        },
    )
    assert response.status_code == 302
    report_url = response.headers["Location"]
    page = client.get(report_url)
    assert "Rapporten dannes nu. Siden opdaterer sig selv, til den er klar." in page.get_data(
        as_text=True
    )
    assert page.headers["Refresh"] == "2"  # a plain refresh while it runs, no JavaScript
    assert '<progress max="100" value="0"' in page.get_data(as_text=True)
    assert client.get(report_url + "/progress.json").json == {"status": "queued", "progress": 0}
    assert client.get(report_url + "/rapport.pdf").status_code == 404  # not ready yet
    with make.scope(town.tenant):
        report = db.session.scalars(select(Report)).one()
        assert (report.trigger, report.requested_by_id) == (ReportTrigger.ON_DEMAND, town.hr.id)
        report.status, report.progress = ReportStatus.RUNNING, 42
    page = client.get(report_url)
    assert "Dannes (42 %)" in page.get_data(as_text=True)
    assert '<progress max="100" value="42"' in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"period_start": "", "period_end": "2026-01-01"}, "period_start", "Skal udfyldes."),
        (
            {"period_start": "1. januar", "period_end": "2026-01-01"},
            "period_start",
            "Skriv datoen som åååå-mm-dd.",
        ),
        (
            {"period_start": "2026-02-01", "period_end": "2026-01-01"},
            "period_end",
            "Perioden kan ikke slutte, før den begynder.",
        ),
        (
            {"period_start": "2020-01-01", "period_end": "2026-01-01"},
            "period_start",
            "En periode kan højst være tre år.",
        ),
        (
            {
                "period_start": TODAY.isoformat(),
                "period_end": (TODAY + timedelta(days=1)).isoformat(),
            },
            "period_end",
            "Perioden kan ikke slutte i fremtiden.",
        ),
    ],
)
def test_bad_periods_are_refused_and_nothing_is_made(town, make, login, form, field, message):
    response = login(town.hr).post("/t/solby/reports/", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with make.scope(town.tenant):
        assert db.session.scalar(select(func.count(Report.id))) == 0


def test_the_navigation(town, login):
    assert "Rapporter" in login(town.hovedudvalg).get("/t/solby/").get_data(as_text=True)
    assert "Rapporter" not in login(town.employee).get("/t/solby/").get_data(as_text=True)


def test_a_refused_request_lists_the_reports_in_as_few_queries_as_the_page(
    town, make, login, sql_counter
):
    with make.scope(town.tenant):
        db.session.add_all(
            Report(
                period_start=TODAY - timedelta(days=30 + n),
                period_end=TODAY,
                trigger=ReportTrigger.ON_DEMAND,
                status=ReportStatus.DONE,
                progress=100,
                html="<h1>Rapport</h1>",
                pdf=b"%PDF-1.7 stand-in",
                published_groups=[],
            )
            for n in range(12)
        )
    browser = login(town.hr)
    browser.get("/t/solby/reports/")  # the session and the tenant are cached
    with sql_counter() as page:
        browser.get("/t/solby/reports/")
    with sql_counter() as refused:
        response = browser.post("/t/solby/reports/", data={"period_start": "", "period_end": ""})
    assert response.status_code == 422
    assert refused.count <= page.count, str(refused)  # no report is loaded twice
