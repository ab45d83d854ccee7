"""A real Celery worker process consumes tasks on PostgreSQL + Redis and on the embedded default."""

import subprocess
import sys

import pytest

from tests.services import (
    TEST_QUEUE,
    celery_worker,
    child_env,
    worker_env,
)
from web import create_app
from web.ops.tasks import count_users

pytestmark = pytest.mark.worker


def test_worker_runs_a_tenant_task_against_postgresql_and_redis(app, committed_make, tmp_path):
    a, b = committed_make.tenant("worker-a"), committed_make.tenant("worker-b")
    unit = committed_make.unit(a)
    for _ in range(3):
        committed_make.user(a, unit=unit)
    committed_make.user(b)
    celery = app.extensions["celery"]
    celery.control.purge()
    env = worker_env()
    worker = celery_worker(env, tmp_path / "worker.log")
    try:
        with app.app_context():
            result = count_users.delay(a.id)
            assert result.get(timeout=60) == {"tenant": "worker-a", "users": 3}
            assert count_users.delay(b.id).get(timeout=30) == {"tenant": "worker-b", "users": 1}
    finally:
        worker.stop()
    assert "count_users" in worker.output()


def test_worker_on_the_embedded_default_needs_no_server(tmp_path):
    env = child_env(INSTANCE_PATH=str(tmp_path), FLASK_APP="web", SECRET_KEY="dev")
    for command in (["db", "upgrade"], ["demo"]):
        subprocess.run(
            [sys.executable, "-m", "flask", *command],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    worker = celery_worker(env, tmp_path / "worker.log")
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": None,
            "REDIS_URL": None,
            "SECRET_KEY": "dev",
            "CELERY_QUEUE": TEST_QUEUE,
        }
    )
    assert app.config["CELERY"]["broker_url"].startswith("sqla+sqlite:///")
    try:
        with app.app_context():
            demo_id = 1
            assert count_users.delay(demo_id).get(timeout=90) == {"tenant": "demo", "users": 28}
    finally:
        worker.stop()
        with app.app_context():
            from web.extensions import db

            db.engine.dispose()
