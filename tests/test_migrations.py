"""Migrations go up and down on empty PostgreSQL and SQLite, and match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from tests.services import SQLITE, TEST_DATABASE_URL, drop_database, recreate_database
from web import create_app
from web.extensions import db


def migrated_app(url: str):
    return create_app({"ENV": "test", "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url,
                       "REDIS_URL": "redis://127.0.0.1:6379/15"})


@pytest.fixture
def pg_url(request):
    """A fresh PostgreSQL database beside the run's, for the ``postgresql`` case only."""
    if SQLITE or request.node.callspec.params.get("backend") != "postgresql":
        yield None
        return
    url = TEST_DATABASE_URL.replace("/aktorskab_test_", "/aktorskab_migrations_")
    recreate_database(url)
    yield url
    drop_database(url)


@pytest.mark.parametrize("backend", [
    pytest.param("postgresql", marks=pytest.mark.postgres("the PostgreSQL migration path")),
    "sqlite"])
def test_upgrade_matches_models_and_downgrades_to_nothing(backend, pg_url, tmp_path):
    url = pg_url if backend == "postgresql" else f"sqlite:///{tmp_path}/m.db"
    app = migrated_app(url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_one_head_and_dated_file_names(app):
    with app.app_context():
        script = ScriptDirectory(app.extensions["migrate"].directory)
        assert len(script.get_heads()) == 1
        for rev in script.walk_revisions():
            name = rev.path.rsplit("/", 1)[1]
            assert name[:8].isdigit(), name
