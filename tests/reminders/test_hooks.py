"""A commit that moves a cycle's dates queues one planning task for its tenant; a rollback none."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.reminders.teams import MEETING, make_team
from web.extensions import db
from web.reminders.tasks import plan_tenant
from web.tenancy import tenant_scope

PLAN_TASK = plan_tenant.name


@pytest.fixture
def sent(app, monkeypatch):
    """What the hook hands to Celery (the broker round trip is tested with a real worker)."""
    calls = []
    monkeypatch.setattr(
        plan_tenant,
        "apply_async",
        lambda args=(), kwargs=None, **kw: calls.append((PLAN_TASK, args)),
    )
    return calls


def test_moving_the_meeting_queues_planning_after_the_commit(app, make, sent):
    team = make_team(make, meeting_at=MEETING)
    sent.clear()
    with app.app_context(), tenant_scope(team.tenant.id):
        from web.cycles.models import Cycle

        cycle = db.session.get(Cycle, team.cycle.id)
        cycle.meeting_at = MEETING + timedelta(days=1)
        cycle.meeting_place = "Kantinen"
        db.session.flush()
        assert sent == []  # not before the commit
        cycle.follow_up_on += timedelta(days=1)
        db.session.commit()
    assert sent == [(PLAN_TASK, (team.tenant.id,))]


def test_a_rollback_queues_nothing_and_unrelated_changes_neither(app, make, sent):
    team = make_team(make)
    sent.clear()
    with app.app_context(), tenant_scope(team.tenant.id):
        from web.cycles.models import Cycle

        cycle = db.session.get(Cycle, team.cycle.id)
        cycle.meeting_at = MEETING
        db.session.flush()
        db.session.rollback()
        cycle = db.session.get(Cycle, team.cycle.id)
        cycle.template_version = 2
        db.session.commit()
        db.session.commit()
    assert sent == []


def test_a_new_cycle_or_action_queues_planning(app, make, sent):
    team = make_team(make)
    assert sent == [(PLAN_TASK, (team.tenant.id,))]  # the cycle
    make.action(team.tenant, team.cycle, team.dane)
    assert sent[-1] == (PLAN_TASK, (team.tenant.id,))
    assert len(sent) == 2


def test_a_broker_that_is_away_leaves_the_commit_standing(app, make, caplog):
    """The send after the commit fails: the moved meeting is saved, the loss is logged."""
    from tests.services import app_overrides
    from web import create_app

    team = make_team(make, meeting_at=MEETING)
    away = create_app(app_overrides(REDIS_URL="redis://127.0.0.1:1/0"))
    celery = away.extensions["celery"]
    celery.conf.update(
        task_publish_retry=False,  # fail at once, not after the retries
        result_backend_transport_options={"retry_policy": {"max_retries": 0}},
    )
    celery.set_current()
    moved = MEETING + timedelta(days=2)
    with away.app_context(), tenant_scope(team.tenant.id):
        from web.cycles.models import Cycle

        db.session.get(Cycle, team.cycle.id).meeting_at = moved
        db.session.commit()  # does not raise
    with app.app_context(), tenant_scope(team.tenant.id):
        from web.cycles.models import Cycle

        db.session.expire_all()
        assert db.session.get(Cycle, team.cycle.id).meeting_at == moved
    assert "could not queue web.reminders.tasks.plan_tenant" in caplog.text
