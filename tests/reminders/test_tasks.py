"""The tasks' own logic, called directly (the broker round trip: test_worker.py)."""

from __future__ import annotations

from datetime import timedelta

from tests.reminders.teams import NOW, make_team, outbox
from web.extensions import db
from web.reminders import delivery
from web.reminders.models import OutboxStatus
from web.reminders.tasks import deliver_reminders, plan_tenant
from web.tenancy import tenant_scope


def test_plan_tenant_recovers_leases_plans_and_counts_chunks(app, make, monkeypatch):
    team = make_team(make)
    make.user(team.tenant, unit=team.unit)
    monkeypatch.setitem(app.config, "REMINDER_CHUNK_SIZE", 2)
    queued = []
    monkeypatch.setattr(
        "web.reminders.tasks.enqueue_after_commit",
        lambda task, *args: queued.append((task.name, args)),
    )
    with app.app_context():
        result = plan_tenant(team.tenant.id, NOW.isoformat())
    assert result == {
        "planned": {
            "preparation_opened": 4,
            "preparation_closing": 0,
            "meetings": 0,
            "follow_up_coming": 0,
            "action_due_soon": 0,
            "action_overdue": 0,
            "weekly_digest": 1,
        },
        "released": 0,
        "due": 5,
        "chunks": 3,
        "teams_due": 0,
        "teams_chunks": 0,
    }
    assert (
        queued == [("web.reminders.tasks.deliver_reminders", (team.tenant.id, NOW.isoformat()))] * 3
    )

    # A worker claims two rows and dies; the next planning after the lease gives them back.
    with app.app_context(), tenant_scope(team.tenant.id):
        settings = delivery.Settings.from_config()
        delivery.claim(team.tenant.id, NOW, settings)
    later = NOW + timedelta(seconds=app.config["REMINDER_LEASE_SECONDS"] + 1)
    with app.app_context():
        again = plan_tenant(team.tenant.id, later.isoformat())
    assert (again["released"], again["due"]) == (2, 5)
    with app.app_context():
        assert {r.status for r in outbox(team.tenant.id)} == {OutboxStatus.PENDING}
        db.session.remove()


def test_a_pass_enqueues_only_the_chunks_its_due_rows_lack(app, make, monkeypatch, smtp_server):
    """A backlog still in the queue is not enqueued again at the next pass; chunks that never
    start (lost with the broker) are, once a lease has gone by without a start."""
    team = make_team(make)
    make.user(team.tenant, unit=team.unit)
    tenant_id = team.tenant.id
    monkeypatch.setitem(app.config, "REMINDER_CHUNK_SIZE", 2)
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_server.port)
    monkeypatch.setattr(
        "web.reminders.tasks.enqueue_after_commit", lambda task, *args: None
    )  # the broker's side: test_worker.py

    def chunks(at) -> int:
        with app.app_context():
            return plan_tenant(tenant_id, at.isoformat())["chunks"]

    assert chunks(NOW) == 3  # 5 due rows, 2 a chunk
    assert chunks(NOW + timedelta(minutes=1)) == 0  # the three are still queued
    with app.app_context():
        assert deliver_reminders(tenant_id, NOW.isoformat())["sent"] == 2  # one starts
    assert len(smtp_server.messages) == 2
    assert chunks(NOW + timedelta(minutes=2)) == 0  # 3 due rows: two chunks, both queued

    # Neither an enqueue nor a start for a whole lease: the two are presumed lost.
    lease = timedelta(seconds=app.config["REMINDER_LEASE_SECONDS"])
    assert chunks(NOW + lease + timedelta(seconds=1)) == 2
    with app.app_context():
        for _ in range(2):
            deliver_reminders(tenant_id, (NOW + lease).isoformat())
        assert {r.status for r in outbox(tenant_id)} == {OutboxStatus.SENT}
        db.session.remove()
    assert len(smtp_server.messages) == 5
    assert chunks(NOW + lease + timedelta(minutes=1)) == 0
