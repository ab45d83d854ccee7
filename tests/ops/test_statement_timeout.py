"""A statement that runs too long is ended: the request answers 503 instead of holding the
worker; workers get a longer limit than the web tier (web.timeouts)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from web import create_app
from web.extensions import db
from web.timeouts import is_statement_timeout, timeout_ms

# Counts to a hundred million: many seconds on either backend, unless it is ended.
SLOW = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) "
    "SELECT count(*) FROM c"
)


@pytest.fixture
def strict_app(app):
    """A second app on the same database, whose statements may run 300 ms."""
    strict = create_app(
        {
            **{
                k: app.config[k]
                for k in (
                    "ENV",
                    "TESTING",
                    "SECRET_KEY",
                    "SQLALCHEMY_DATABASE_URI",
                    "REDIS_URL",
                    "CELERY_QUEUE",
                    "INSTANCE_PATH",
                )
                if k in app.config
            },
            "DATABASE_STATEMENT_TIMEOUT_MS": 300,
        }
    )

    @strict.get("/slow")
    def slow():
        return str(db.session.execute(text(SLOW)).scalar())

    yield strict
    with strict.app_context():
        db.engine.dispose()


def test_a_slow_statement_is_ended_and_answered_503(strict_app):
    started = time.monotonic()
    response = strict_app.test_client().get("/slow", headers={"Accept-Language": "da"})
    assert response.status_code == 503
    assert "Det tog for lang tid" in response.get_data(as_text=True)
    assert time.monotonic() - started < 5


def test_the_error_is_recognised_as_a_timeout(strict_app):
    with strict_app.app_context():
        with pytest.raises(OperationalError) as caught:
            db.session.execute(text(SLOW))
        assert is_statement_timeout(caught.value)
        db.session.rollback()
        assert db.session.execute(text("SELECT 1")).scalar() == 1  # the connection lives on


def test_workers_get_the_longer_limit():
    config = {"DATABASE_STATEMENT_TIMEOUT_MS": 30_000, "WORKER_STATEMENT_TIMEOUT_MS": 600_000}
    assert timeout_ms(config) == 30_000
    assert timeout_ms({**config, "PROCESS_KIND": "worker"}) == 600_000
