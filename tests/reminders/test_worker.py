"""End to end on the demo municipality: a real Celery worker, Redis, PostgreSQL, SMTP server.

Every change below is an ordinary commit in this process, like a leader's form post; the
after-commit hook queues the tenant's planning, the worker plans and delivers, and the SMTP
server on loopback receives each e-mail exactly once, in each member's language (Sofie reads
English, her team Danish). Planning again, as the beat and a second beat would, sends nothing.
The worker runs with REMINDER_SEND_WINDOW=always, so the test passes on any day and hour.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest

from tests.reminders.helpers import by_recipient, ics
from tests.services import (
    TEST_DATABASE_URL,
    celery_worker,
    wait_for,
    worker_env,
)
from web.cycles.models import Cycle, Phase
from web.demo.municipality import load_demo
from web.extensions import db
from web.models import utcnow
from web.orgs.models import Membership, MembershipRole, OrgUnit
from web.reminders.models import OutboxStatus, ReminderOutbox
from web.tenancy import tenant_scope
from web.users.models import User

pytestmark = pytest.mark.worker
TEAM = "bu-dag-sol"  # Lars (leader) and six employees; Sofie's locale is English


def outbox_rows(app, tenant_id):
    with app.app_context(), tenant_scope(tenant_id):
        rows = db.session.scalars(db.select(ReminderOutbox)).all()
        db.session.remove()
    return rows


def change_cycle(app, tenant_id, cycle_id, **values):
    with app.app_context(), tenant_scope(tenant_id):
        cycle = db.session.get(Cycle, cycle_id)
        for name, value in values.items():
            setattr(cycle, name, value)
        db.session.commit()
        db.session.remove()


def kinds_by_person(messages):
    return {
        address: Counter(m["X-Aktorskab-Kind"] for m in found)
        for address, found in by_recipient(messages).items()
    }


def test_moving_a_demo_cycles_dates_sends_each_email_once_in_each_language(
    app, committed_db, smtp_server, tmp_path
):
    celery = app.extensions["celery"]
    celery.control.purge()
    with app.app_context():
        tenant_id = load_demo()["tenant_id"]
        db.session.commit()
        with tenant_scope(tenant_id):
            unit = db.session.scalar(db.select(OrgUnit).filter_by(external_id=TEAM))
            people = db.session.execute(
                db.select(User.email, User.locale, Membership.role)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.unit_id == unit.id)
            ).all()
            leader = next(p.email for p in people if p.role == MembershipRole.LEADER)
            english = {p.email for p in people if p.locale == "en"}
            members = {p.email for p in people}
            # Preparation starts next week: nothing is due yet.
            today = utcnow().date()
            cycle = Cycle(
                unit_id=unit.id,
                phase=Phase.PREPARATION,
                preparation_starts_on=today + timedelta(days=7),
                preparation_ends_on=today + timedelta(days=14),
                follow_up_on=today + timedelta(days=90),
            )
            db.session.add(cycle)
            db.session.commit()
            cycle_id = cycle.id
        db.session.remove()
    assert len(members) == 7 and len(english) == 1

    env = worker_env(TEST_DATABASE_URL, smtp_server.port)
    worker = celery_worker(env, tmp_path / "worker.log")
    try:
        # 1. The leader moves preparation to start today: "preparation opened" to all seven,
        #    and the leader's weekly digest.
        change_cycle(app, tenant_id, cycle_id, preparation_starts_on=today)
        smtp_server.wait_for(8, timeout=60)
        got = kinds_by_person(smtp_server.messages)
        assert {a: dict(c) for a, c in got.items()} == {
            a: (
                {"preparation_opened": 1, "weekly_digest": 1}
                if a == leader
                else {"preparation_opened": 1}
            )
            for a in members
        }

        # 2. The meeting gets a date and a place: one invitation each, with its .ics.
        meeting = (utcnow() + timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
        change_cycle(app, tenant_id, cycle_id, meeting_at=meeting, meeting_place="Sal 1")
        smtp_server.wait_for(15, timeout=60)

        # 3. The meeting moves: one update each, same UID, SEQUENCE 1, in their language.
        change_cycle(
            app,
            tenant_id,
            cycle_id,
            meeting_at=meeting + timedelta(days=1, hours=4),
            meeting_place="Kantinen",
        )
        smtp_server.wait_for(22, timeout=60)
        messages = smtp_server.messages
        got = kinds_by_person(messages)
        assert all(
            got[a]["meeting_invitation"] == 1 and got[a]["meeting_updated"] == 1 for a in members
        )
        for address, found in by_recipient(messages).items():
            update = next(m for m in found if m["X-Aktorskab-Kind"] == "meeting_updated")
            invitation = next(m for m in found if m["X-Aktorskab-Kind"] == "meeting_invitation")
            if address in english:
                assert update["Subject"].startswith("Changed: dialogue meeting about agency")
            else:
                assert update["Subject"].startswith("Ændret: dialogmøde om aktørskab")
            [old], [new] = ics(invitation)[0].walk("VEVENT"), ics(update)[0].walk("VEVENT")
            assert str(old["UID"]) == str(new["UID"])
            assert (old["SEQUENCE"], new["SEQUENCE"]) == (0, 1)
            assert str(new["LOCATION"]) == "Kantinen"

        # 4. The beat, twice (two beat processes), then the tenant's planning: nothing more.
        assert celery.send_task("web.reminders.tasks.plan_all_tenants").get(timeout=30) >= 1
        assert celery.send_task("web.reminders.tasks.plan_all_tenants").get(timeout=30) >= 1
        result = celery.send_task("web.reminders.tasks.plan_tenant", args=(tenant_id,))
        assert result.get(timeout=30)["due"] == 0
        wait_for(
            lambda: all(r.status == OutboxStatus.SENT for r in outbox_rows(app, tenant_id)),
            30,
            "all rows sent",
        )
        time.sleep(1)
        assert len(smtp_server.messages) == 22
        rows = outbox_rows(app, tenant_id)
        assert len(rows) == 22 and {r.attempts for r in rows} == {1}
        assert len({m["Message-ID"].strip() for m in smtp_server.messages}) == 22
    finally:
        worker.stop()
    assert "plan_tenant" in worker.output()
    assert "deliver_reminders" in worker.output()
