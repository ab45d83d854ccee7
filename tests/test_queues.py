"""Workers by queue: a national report run does not hold up a reminder (issue 20).

Two real worker processes, as docker-compose.yml runs them: one on the reports queue (with the
default and compilation queues), one on the reminders queue alone. A backlog of Hovedudvalg
reports is sent first; once the report worker is busy with the first, a reminder is planned. The
SMTP server on loopback must have it while reports are still unfinished. Through one shared
queue, as before, the reminder would wait behind every report and this test fails.
Runs on PostgreSQL + Redis and on the embedded default (SQLite + Celery's SQLAlchemy transport).
"""

from __future__ import annotations

import time
from collections import Counter
from email.utils import parseaddr

import pytest
from sqlalchemy import select

from tests.faults.population import populate
from tests.reports.town import PERIOD, build_town
from tests.services import (
    celery_worker,
    wait_for,
    worker_env,
)
from web.extensions import db
from web.reports import services as reports
from web.reports.models import Report, ReportStatus
from web.reports.tasks import generate_report
from web.tenancy import tenant_scope
from worker import REMINDER_WORKER_QUEUES, TASK_ROUTES, queue_name

pytestmark = pytest.mark.worker
REPORTS = 5


def report_statuses(app, tenant_id: int) -> Counter[str]:
    with app.app_context(), tenant_scope(tenant_id):
        counts = Counter(str(status) for status in db.session.scalars(select(Report.status)))
        db.session.remove()
    return counts


def test_every_task_has_its_queue(app):
    router = app.extensions["celery"].amqp.router
    base = app.config["CELERY_QUEUE"]

    def queue(task: str) -> str:
        return router.route({}, task)["queue"].name

    assert queue("web.reminders.tasks.deliver_reminders") == queue_name(base, "reminders")
    assert queue("web.reminders.tasks.plan_all_tenants") == f"{base}.planning"
    assert queue("web.reminders.tasks.plan_tenant") == f"{base}.planning"
    assert queue("web.reports.tasks.generate_report") == f"{base}.reports"
    assert queue("web.collections.tasks.compile_collection") == f"{base}.compilations"
    assert queue("web.themes.tasks.embed_entry") == f"{base}.compilations"
    assert queue("web.dashboards.tasks.refresh_overview") == base
    assert queue("web.ops.tasks.heartbeat") == base
    # Every routed package exists: a renamed module would silently fall back to "default".
    app.extensions["celery"].loader.import_default_modules()  # as a worker does (include)
    tasks = set(app.extensions["celery"].tasks)
    for pattern in TASK_ROUTES:
        assert any(name.startswith(pattern.rstrip("*")) for name in tasks), pattern


BACKLOG = 60


def test_planning_does_not_wait_behind_queued_deliveries(app, committed_make, tmp_path):
    """The beat's planning pass is taken next, not after every delivery already queued: a
    backlog of deliveries is waiting when a planning task is sent, and the reminder worker (on
    both its queues, as docker-compose.yml runs it) runs the planning among the first tasks."""
    town = build_town(committed_make)
    celery = app.extensions["celery"]
    celery.control.purge()
    for _ in range(BACKLOG):
        celery.send_task("web.reminders.tasks.deliver_reminders", args=(town.tenant.id,))
    celery.send_task("web.reminders.tasks.plan_tenant", args=(town.tenant.id,))
    env = worker_env(REMINDER_SEND_WINDOW="always")
    worker = celery_worker(env, tmp_path / "reminders.log", queues=REMINDER_WORKER_QUEUES)
    try:
        wait_for(
            lambda: (
                worker.output().count("deliver_reminders[") >= 2 * BACKLOG
                and "plan_tenant[" in worker.output()
            ),
            240,
            "the backlog and the planning done",
        )
    finally:
        worker.stop()
    done = [
        line
        for line in worker.output().splitlines()
        if " succeeded in " in line and "Task " in line
    ]
    planned_at = next(i for i, line in enumerate(done) if "plan_tenant[" in line)
    # Through one FIFO queue it would come after all BACKLOG deliveries.
    assert planned_at < 5, "\n".join(done[: planned_at + 1])


def test_a_report_run_does_not_delay_a_reminder(app, committed_make, smtp_server, tmp_path):
    town = build_town(committed_make)
    # The reminder's municipality: three people in a team whose preparation opened yesterday
    # (bulk rows: no after-commit planning from this process; the test plans when it chooses).
    other = populate(app, committed_make, 3)
    emails = other.emails
    with app.test_request_context("/"), tenant_scope(town.tenant.id):
        report_ids = [
            reports.request_report(
                town.hr, period_start=PERIOD[0], period_end=PERIOD[1], locale="da"
            ).id
            for _ in range(REPORTS)
        ]
        db.session.commit()
        db.session.remove()

    celery = app.extensions["celery"]
    celery.control.purge()
    env = worker_env(smtp_port=smtp_server.port)
    report_worker = celery_worker(
        env,
        tmp_path / "reports.log",
        "--hostname",
        "reports@%h",
        queues="default,reports,compilations",
    )
    reminder_worker = celery_worker(
        env, tmp_path / "reminders.log", "--hostname", "reminders@%h", queues=REMINDER_WORKER_QUEUES
    )
    workers = (report_worker, reminder_worker)

    def logs() -> str:
        return "\n".join(f"--- {w.log.name} ---\n{w.output()[-3000:]}" for w in workers)

    try:
        wait_for(lambda: all(" ready." in w.output() for w in workers), 120, "both workers")
        with app.app_context():
            for report_id in report_ids:
                generate_report.delay(town.tenant.id, report_id)
            wait_for(
                lambda: report_statuses(app, town.tenant.id)[ReportStatus.RUNNING] >= 1,
                60,
                "the first report running",
            )
            planned = time.monotonic()
            celery.send_task("web.reminders.tasks.plan_tenant", args=(other.tenant_id,))
            try:
                smtp_server.wait_for(3, timeout=60)
            except TimeoutError as exc:
                raise AssertionError(f"{exc}\n{logs()}") from None
            waited = time.monotonic() - planned
            at_delivery = report_statuses(app, town.tenant.id)
        assert sorted(parseaddr(m["To"])[1] for m in smtp_server.messages) == emails
        # The reports were still being made: the reminder did not wait for them.
        assert at_delivery[ReportStatus.DONE] < REPORTS, (at_delivery, waited, logs())
        assert at_delivery[ReportStatus.RUNNING] + at_delivery[ReportStatus.QUEUED] >= 1
        wait_for(
            lambda: report_statuses(app, town.tenant.id)[ReportStatus.DONE] == REPORTS,
            600,
            "every report done",
        )
        print(
            f"reminder delivered {waited:.1f} s after planning; reports then: "
            f"{dict(at_delivery)}; all {REPORTS} done {time.monotonic() - planned:.1f} s after"
        )
    finally:
        for worker in workers:
            worker.stop()
    # Each worker took only its own queues' tasks.
    assert "generate_report" in report_worker.output()
    assert "Task web.reminders" not in report_worker.output()
    assert "deliver_reminders" in reminder_worker.output()
    assert "Task web.reports" not in reminder_worker.output()
