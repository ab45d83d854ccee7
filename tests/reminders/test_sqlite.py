"""The embedded default (SQLite): planning is idempotent and delivery works there too."""

from __future__ import annotations

from collections import Counter

import pytest
from flask_migrate import upgrade

from tests import factories
from tests.reminders.helpers import deliver, plan, settings_for
from tests.reminders.teams import NOW, make_team, outbox
from web import create_app
from web.extensions import db
from web.reminders.models import OutboxStatus


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app(
        {
            "ENV": "test",
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/r.db",
            "REDIS_URL": None,
        }
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_plan_and_deliver_on_sqlite(sqlite_app, smtp_server):
    team = make_team(factories.Factory(sqlite_app), meeting_at=NOW.replace(day=15))
    plan(sqlite_app, team.tenant.id)
    plan(sqlite_app, team.tenant.id)
    with sqlite_app.app_context():
        rows = outbox(team.tenant.id)
    assert Counter(r.kind.value for r in rows) == {
        "preparation_opened": 3,
        "meeting_invitation": 3,
        "weekly_digest": 1,
    }
    outcome = deliver(sqlite_app, team.tenant.id, settings_for(smtp_server))
    assert outcome.sent == 7
    assert deliver(sqlite_app, team.tenant.id, settings_for(smtp_server)).claimed == 0
    assert len(smtp_server.messages) == 7
    with sqlite_app.app_context():
        assert {r.status for r in outbox(team.tenant.id)} == {OutboxStatus.SENT}
