"""End to end with a real Celery worker process: HR requests a report, the worker makes it."""

from __future__ import annotations

import io
import time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.reports.town import PERIOD, build_town
from tests.services import celery_worker, worker_env
from web.auth.session import session_payload
from web.extensions import db
from web.reports.models import Report, ReportRun, ReportStatus, RunStatus
from web.tenancy import tenant_scope

pytestmark = pytest.mark.worker


def test_a_report_requested_by_hr_is_generated_by_the_worker(app, committed_make, tmp_path):
    town = build_town(committed_make)
    celery = app.extensions["celery"]
    celery.control.purge()
    worker = celery_worker(
        worker_env(),
        tmp_path / "worker.log",
    )
    try:
        client = app.test_client()
        with client.session_transaction() as session:
            session.update(session_payload(town.hr))
        response = client.post(
            "/t/solby/reports/",
            data={"period_start": PERIOD[0].isoformat(), "period_end": PERIOD[1].isoformat()},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        url = response.headers["Location"]
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = client.get(url + "/progress.json").json
            seen.append(state["progress"])
            if state["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert state == {"status": "done", "progress": 100}, worker.output()
        assert seen == sorted(seen)

        pdf = client.get(url + "/rapport.pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
        assert "Deltagelse pr. område og afdeling" in text and "Dagtilbud Nord" in text
        assert not [name for name in town.names if name in text]
        html = client.get(url + "/rapport.html").get_data(as_text=True)
        assert html.count('<svg role="img"') == 5 and "Specialtilbud" not in html
    finally:
        worker.stop()
    assert "web.reports.tasks.generate_report" in worker.output()
    with app.app_context(), tenant_scope(town.tenant.id):
        report = db.session.scalars(select(Report)).one()
        [run] = db.session.scalars(select(ReportRun))
        assert report.status == ReportStatus.DONE and report.published_groups
        assert run.status == RunStatus.SUCCEEDED and run.duration_ms > 0
        assert run.counts["people"] == 28 and run.counts["rows_shown"] == 8
        db.session.remove()
