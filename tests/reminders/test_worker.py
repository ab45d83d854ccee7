"""End to end with a real Celery worker process, Redis, PostgreSQL and an SMTP server.

Moving a cycle's meeting is an ordinary commit in this process; the after-commit hook queues
the tenant's planning, the worker plans and delivers, and the SMTP server on loopback receives
exactly one update per member, in each member's language. Planning again sends nothing.
The worker runs with REMINDER_SEND_WINDOW=always so that the test passes on any day and hour.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest

from tests.reminders.helpers import by_recipient, ics
from tests.services import TEST_DATABASE_URL, TEST_REDIS_URL, celery_worker, child_env, wait_for
from web.cycles.models import Cycle, Phase
from web.extensions import db
from web.models import utcnow
from web.reminders.models import OutboxStatus, ReminderOutbox
from web.tenancy import tenant_scope

pytestmark = pytest.mark.worker


def outbox_rows(app, tenant_id):
    with app.app_context(), tenant_scope(tenant_id):
        rows = db.session.scalars(db.select(ReminderOutbox)).all()
        db.session.remove()
    return rows


def test_moving_the_meeting_sends_one_update_per_member_in_their_language(
        app, committed_make, smtp_server, tmp_path):
    celery = app.extensions["celery"]
    celery.set_current()
    celery.control.purge()
    env = child_env(DATABASE_URL=TEST_DATABASE_URL, REDIS_URL=TEST_REDIS_URL, AKTOR_ENV="test",
                    SECRET_KEY="test-secret", SMTP_HOST="127.0.0.1",
                    SMTP_PORT=str(smtp_server.port), REMINDER_SEND_WINDOW="always")
    worker = celery_worker(env, tmp_path / "worker.log")
    try:
        make = committed_make
        tenant = make.tenant("paamindelser", default_locale="da")
        unit = make.unit(tenant, "Team Øst")
        leader = make.user(tenant, "Lise Leder", leader_of=unit)
        dane = make.user(tenant, "Dorthe Dansk", unit=unit, locale="da")
        brit = make.user(tenant, "Bill British", unit=unit, locale="en")
        today = utcnow().date()
        meeting = (utcnow() + timedelta(days=7)).replace(hour=9, minute=0, second=0,
                                                         microsecond=0)
        # Created in the meeting phase: the invitations (and the leader's digest) go out.
        cycle = make.cycle(tenant, unit, leader=leader, phase=Phase.MEETING,
                           preparation_starts_on=today - timedelta(days=20),
                           preparation_ends_on=today - timedelta(days=2),
                           follow_up_on=today + timedelta(days=90),
                           meeting_at=meeting, meeting_place="Mødelokale 1")
        smtp_server.wait_for(4, timeout=60)
        first = Counter(m["X-Aktorskab-Kind"] for m in smtp_server.messages)
        assert first == {"meeting_invitation": 3, "weekly_digest": 1}

        # The leader moves the meeting: one commit, nothing else.
        with app.app_context(), tenant_scope(tenant.id):
            row = db.session.get(Cycle, cycle.id)
            row.meeting_at = meeting + timedelta(days=1, hours=4)
            row.meeting_place = "Kantinen"
            db.session.commit()
            db.session.remove()
        smtp_server.wait_for(7, timeout=60)
        updates = [m for m in smtp_server.messages if m["X-Aktorskab-Kind"] == "meeting_updated"]
        received = by_recipient(updates)
        assert {address: len(ms) for address, ms in received.items()} == {
            leader.email: 1, dane.email: 1, brit.email: 1}
        assert received[dane.email][0]["Subject"].startswith("Ændret: dialogmøde om aktørskab")
        assert received[leader.email][0]["Subject"].startswith("Ændret: dialogmøde om aktørskab")
        assert received[brit.email][0]["Subject"].startswith(
            "Changed: dialogue meeting about agency")
        [event] = ics(received[brit.email][0])[0].walk("VEVENT")
        assert (event["SEQUENCE"], str(event["LOCATION"])) == (1, "Kantinen")

        # The beat (and a second beat) run again: nothing more is sent.
        planned = celery.send_task("web.reminders.tasks.plan_all_tenants").get(timeout=30)
        assert planned >= 1
        result = celery.send_task("web.reminders.tasks.plan_tenant", args=(tenant.id,))
        assert result.get(timeout=30)["due"] == 0
        wait_for(lambda: all(r.status == OutboxStatus.SENT
                             for r in outbox_rows(app, tenant.id)), 30, "all rows sent")
        time.sleep(1)
        assert len(smtp_server.messages) == 7
        rows = outbox_rows(app, tenant.id)
        assert len(rows) == 7 and {r.attempts for r in rows} == {1}
    finally:
        worker.stop()
    assert "plan_tenant" in worker.output()
    assert "deliver_reminders" in worker.output()
