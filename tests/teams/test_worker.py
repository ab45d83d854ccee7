"""Teams posts through a real Celery worker: the commit that opens a cycle plans them, the worker
posts each card once to the loopback receiver beside the e-mails, retrying one the receiver
refused with a 500 on the next planning. PostgreSQL + Redis, or the embedded default."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from tests.services import (
    TEST_DATABASE_URL,
    celery_worker,
    wait_for,
    worker_env,
)
from tests.teams.receiver import running_receiver
from web.cycles.models import Cycle, Phase
from web.extensions import db
from web.models import utcnow
from web.reminders.models import Channel, OutboxStatus, ReminderOutbox
from web.teams import services
from web.tenancy import tenant_scope
from web.users.models import TenantRoleName

pytestmark = pytest.mark.worker


def teams_rows(app, tenant_id):
    with app.app_context(), tenant_scope(tenant_id):
        rows = list(
            db.session.scalars(
                db.select(ReminderOutbox)
                .where(ReminderOutbox.channel == Channel.TEAMS)
                .order_by(ReminderOutbox.id)
            )
        )
        db.session.remove()
    return rows


def test_the_worker_posts_each_card_once_and_retries_the_one_refused(
    app, committed_make, smtp_server, tmp_path
):
    make = committed_make
    celery = app.extensions["celery"]
    celery.control.purge()
    tenant = make.tenant("teamsworker")
    unit = make.unit(tenant, "Team Vest")
    leader = make.user(tenant, "Lone Leder", leader_of=unit)
    make.user(tenant, "Mie Medarbejder", unit=unit)
    admin = make.user(tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,))
    env = worker_env(TEST_DATABASE_URL, smtp_server.port, REMINDER_RETRY_SECONDS="1")
    with running_receiver([500, 202]) as receiver:
        with app.test_request_context("/"), tenant_scope(tenant.id):
            services.set_webhook(None, receiver.url, admin)
            db.session.commit()
        worker = celery_worker(env, tmp_path / "worker.log")
        try:
            today = utcnow().date()
            meeting = (utcnow() + timedelta(days=10)).replace(microsecond=0)
            with make.scope(tenant):  # the leader's commit: the hook queues the planning
                db.session.add(
                    Cycle(
                        unit_id=unit.id,
                        leader_id=leader.id,
                        phase=Phase.PREPARATION,
                        preparation_starts_on=today,
                        preparation_ends_on=today + timedelta(days=7),
                        follow_up_on=today + timedelta(days=90),
                        meeting_at=meeting,
                        meeting_place="Sal 2",
                    )
                )
            # Two members: opened and invitation each, and the leader's digest.
            smtp_server.wait_for(5, timeout=90)
            wait_for(lambda: len(receiver.posts) >= 2, 60, "two posts")
            assert len(receiver.cards) == 1  # the first got a 500
            wait_for(
                lambda: any(
                    r.status == OutboxStatus.PENDING and r.attempts == 1
                    for r in teams_rows(app, tenant.id)
                ),
                30,
                "the retry waiting",
            )
            # The beat's next planning (twice: two beat processes) finds the retry due.
            for _ in range(3):
                time.sleep(1.5)
                celery.send_task("web.reminders.tasks.plan_tenant", args=(tenant.id,)).get(
                    timeout=30
                )
            wait_for(lambda: len(receiver.cards) >= 2, 60, "the retried post")
            time.sleep(2)
            assert receiver.invalid == []
            assert len(receiver.posts) == 3 and len(receiver.cards) == 2
            assert sorted(card["body"][0]["text"] for card in receiver.cards) == [
                "Dialogmøde om aktørskab – Team Vest",
                "Forberedelsen til dialogen om aktørskab er åbnet – Team Vest",
            ]
            rows = teams_rows(app, tenant.id)
            assert {r.status for r in rows} == {OutboxStatus.SENT}
            assert sorted(r.attempts for r in rows) == [1, 2]
            assert len(smtp_server.messages) == 5
        finally:
            worker.stop()
    assert "deliver_teams_posts" in worker.output()
