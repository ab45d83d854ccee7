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
    return create_app(
        {
            "ENV": "test",
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": "redis://127.0.0.1:6379/15",
        }
    )


# A migration test runs on a fresh database of each backend (``pg_url`` or a SQLite file).
ON_BOTH_BACKENDS = pytest.mark.parametrize(
    "backend",
    [
        pytest.param("postgresql", marks=pytest.mark.postgres("the PostgreSQL migration path")),
        "sqlite",
    ],
)


def fresh_url(backend: str, pg_url: str | None, tmp_path) -> str:
    return pg_url if backend == "postgresql" else f"sqlite:///{tmp_path}/m.db"


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


@ON_BOTH_BACKENDS
def test_upgrade_matches_models_and_downgrades_to_nothing(backend, pg_url, tmp_path):
    app = migrated_app(fresh_url(backend, pg_url, tmp_path))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
            )
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


@ON_BOTH_BACKENDS
def test_0024_keeps_each_examples_offer_in_offered_at(backend, pg_url, tmp_path):
    """Offered without a moment: its last change becomes the moment; not offered: no moment."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    app = migrated_app(fresh_url(backend, pg_url, tmp_path))
    then, changed = datetime(2027, 1, 5, 9, tzinfo=UTC), datetime(2027, 2, 1, 12, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="0023")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO tenants (id, slug, name, default_locale, settings, created_at) "
                    "VALUES (1, 'mig', 'Mig', 'da', '{}', :t)"
                ),
                {"t": then},
            )
            conn.execute(
                text(
                    "INSERT INTO org_units (id, name, kind, external_id, tenant_id, created_at) "
                    "VALUES (1, 'Team', 'team', 'u1', 1, :t)"
                ),
                {"t": then},
            )
            for ident, offered, at in (
                (1, True, then),
                (2, True, None),
                (3, False, then),
                (4, False, None),
            ):
                conn.execute(
                    text(
                        "INSERT INTO examples (id, unit_id, kind, title, text, is_offered, "
                        "offered_at, tenant_id, created_at, updated_at) VALUES "
                        "(:id, 1, 'good', 't', 'x', :offered, :at, 1, :t, :changed)"
                    ),
                    {"id": ident, "offered": offered, "at": at, "t": then, "changed": changed},
                )
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, offered_at FROM examples ORDER BY id")).all()
        assert {ident: _utc(at) for ident, at in rows} == {1: then, 2: changed, 3: None, 4: None}
        assert "is_offered" not in {c["name"] for c in inspect(db.engine).get_columns("examples")}
        downgrade(revision="0023")
        with db.engine.connect() as conn:
            assert conn.execute(
                text("SELECT id FROM examples WHERE is_offered ORDER BY id")
            ).scalars().all() == [1, 2]
        db.engine.dispose()


def _utc(value):
    """A stored moment as an aware UTC datetime (SQLite hands back text without a zone)."""
    from datetime import UTC, datetime

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
