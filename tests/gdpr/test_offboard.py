"""Offboarding a tenant deletes all of its data and its SSO secrets, and nothing of others."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.gdpr.teams import answers
from tests.services import TEST_DATABASE_URL
from web.extensions import db
from web.tenancy import tenant_scope
from web.users.models import TenantRoleName


def counts_by_tenant(tenant_id: int) -> dict[str, int]:
    """Rows per tenant table, read as the owner (row-level security does not bind it)."""
    engine = create_engine(TEST_DATABASE_URL)
    try:
        with engine.connect() as conn:
            tables = [t.name for t in db.metadata.sorted_tables if "tenant_id" in t.columns]
            return {
                t: conn.execute(
                    text(f'SELECT count(*) FROM "{t}" WHERE tenant_id = :id'), {"id": tenant_id}
                ).scalar()
                for t in tables
            }
    finally:
        engine.dispose()


@pytest.mark.postgres("reads PostgreSQL's catalog (pg_constraint)")
def test_every_tenant_foreign_key_cascades(app, db_session):
    """Every tenant_id references tenants ON DELETE CASCADE (offboarding relies on it as the
    last resort; the command itself deletes table by table)."""
    rows = db_session.execute(
        text("""
        SELECT c.table_name,
               (SELECT con.confdeltype FROM pg_constraint con
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY(con.conkey)
                 WHERE con.contype = 'f' AND con.conrelid = format('%I', c.table_name)::regclass
                   AND con.confrelid = 'tenants'::regclass AND a.attname = 'tenant_id')
          FROM information_schema.columns c
         WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id'""")
    ).all()
    assert len(rows) >= 20
    assert {table: rule for table, rule in rows if rule != "c"} == {}


def test_offboard_deletes_the_tenant_and_only_it(team, make, app):
    from web.auth.models import SsoSettings

    answers(make, team.tenant, team.recent, team.anna, "svar")
    make.action(team.tenant, team.recent, team.anna)
    make.example(team.tenant, team.unit, team.anna)
    with make.scope(team.tenant):
        db.session.add(
            SsoSettings(
                issuer="https://idp.solby.dk",
                client_id="aktorskab",
                client_secret_encrypted="hemmelig",
            )
        )
    answers(
        make,
        team.neighbour,
        make.cycle(team.neighbour, make.unit(team.neighbour)),
        team.neighbour_user,
        "nabo",
    )
    neighbour_before = counts_by_tenant(team.neighbour.id)

    runner = app.test_cli_runner()
    refused = runner.invoke(args=["tenants", "offboard", "ukendt", "--yes"])
    assert refused.exit_code != 0 and "No tenant 'ukendt'" in refused.output
    kept = runner.invoke(args=["tenants", "offboard", "solby"], input="n\n")
    assert kept.exit_code != 0  # aborted at the question
    with app.app_context():
        assert (
            db.session.execute(text("SELECT count(*) FROM tenants WHERE slug='solby'")).scalar()
            == 1
        )

    result = runner.invoke(args=["tenants", "offboard", "solby", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Deleted tenant solby" in result.output
    with app.app_context():
        assert (
            db.session.execute(text("SELECT count(*) FROM tenants WHERE slug='solby'")).scalar()
            == 0
        )

    # Read through the test's connection (the owner engine cannot see uncommitted rows), the
    # tenant named in each statement (not only by row-level security: SQLite has none).
    def counted(tenant_id: int, tables) -> dict[str, int]:
        with tenant_scope(tenant_id):
            return {
                t: db.session.execute(
                    text(f'SELECT count(*) FROM "{t}" WHERE tenant_id = :id'), {"id": tenant_id}
                ).scalar()
                for t in tables
            }

    with app.app_context(), db.session.begin():
        left = counted(team.tenant.id, counts_by_tenant(team.tenant.id))
        neighbour_after = counted(team.neighbour.id, neighbour_before)
    assert {t: n for t, n in left.items() if n} == {}
    assert neighbour_after["contributions"] == 3 and neighbour_after["users"] == 1


def test_offboarding_drops_the_tenants_cached_overview(team, make, app, login, overview_cache):
    from web import cache
    from web.dashboards.tasks import overview_prefix

    hr = make.user(team.tenant, "Hanne HR", roles=(TenantRoleName.HR,))
    assert login(hr).get("/t/solby/overview").status_code == 200
    with app.app_context():
        client = cache._client()
        ours = cache._full_key(overview_prefix(team.tenant.id))
        cached = list(client.scan_iter(match=f"{ours}*"))
        assert cached  # the overview was computed once and kept
    result = app.test_cli_runner().invoke(args=["tenants", "offboard", "solby", "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert not client.exists(*cached)
        assert not [
            k
            for k in client.zrange(cache._reads_key(), 0, -1)
            if k.decode().startswith(overview_prefix(team.tenant.id))
        ]
