"""The tasks' own logic, called directly (the broker round trip: test_worker.py)."""

from __future__ import annotations

from datetime import timedelta

from tests.reminders.teams import NOW, make_team, outbox
from web.extensions import db
from web.reminders import delivery
from web.reminders.models import OutboxStatus
from web.reminders.tasks import plan_tenant
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
