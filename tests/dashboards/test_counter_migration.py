"""The migration that added the participation counters fills them for existing cycles from
today's data, on PostgreSQL and SQLite; after it, the ORM keeps them on SQLite as well.

The figures it fills are the ones the leader dashboard counted at read time before: members =
the active members of the covered units, contributors = those of them with a Participation.
"""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import text

from tests.test_migrations import ON_BOTH_BACKENDS, fresh_url, migrated_app
from tests.test_migrations import pg_url as pg_url  # a fixture
from web.extensions import db

ROWS = """
INSERT INTO tenants (id, slug, name, default_locale, settings, created_at)
    VALUES (1, 'gammel', 'Gammel Kommune', 'da', '{}', CURRENT_TIMESTAMP);
INSERT INTO org_units (id, tenant_id, parent_id, name, kind, external_id, created_at) VALUES
    (1, 1, NULL, 'Afdeling', 'department', 'x1', CURRENT_TIMESTAMP),
    (2, 1, 1, 'Team A', 'team', 'x2', CURRENT_TIMESTAMP),
    (3, 1, 1, 'Team B', 'team', 'x3', CURRENT_TIMESTAMP);
INSERT INTO users (id, tenant_id, subject, display_name, is_active, created_at) VALUES
    (1, 1, 's1', 'Leder', true, CURRENT_TIMESTAMP), (2, 1, 's2', 'Anna', true, CURRENT_TIMESTAMP),
    (3, 1, 's3', 'Bo', true, CURRENT_TIMESTAMP), (4, 1, 's4', 'Carl', false, CURRENT_TIMESTAMP),
    (5, 1, 's5', 'Dina', true, CURRENT_TIMESTAMP), (6, 1, 's6', 'Eva', true, CURRENT_TIMESTAMP);
INSERT INTO memberships (tenant_id, user_id, unit_id, role, source, created_at) VALUES
    (1, 1, 1, 'leader', 'app', CURRENT_TIMESTAMP), (1, 2, 2, 'employee', 'app', CURRENT_TIMESTAMP),
    (1, 3, 2, 'employee', 'app', CURRENT_TIMESTAMP),
    (1, 4, 2, 'employee', 'app', CURRENT_TIMESTAMP),
    (1, 5, 3, 'employee', 'app', CURRENT_TIMESTAMP),
    (1, 2, 3, 'employee', 'app', CURRENT_TIMESTAMP);
INSERT INTO cycles (id, tenant_id, unit_id, template_version, include_subunits, phase,
                    preparation_starts_on, preparation_ends_on, created_at, updated_at) VALUES
    (1, 1, 2, 1, false, 'preparation', '2027-03-01', '2027-03-14', CURRENT_TIMESTAMP,
     CURRENT_TIMESTAMP),
    (2, 1, 1, 1, true, 'meeting', '2027-03-01', '2027-03-14', CURRENT_TIMESTAMP,
     CURRENT_TIMESTAMP),
    (3, 1, 3, 1, false, 'closed', '2026-03-01', '2026-03-14', CURRENT_TIMESTAMP,
     CURRENT_TIMESTAMP);
INSERT INTO participations (tenant_id, cycle_id, user_id) VALUES
    (1, 1, 2), (1, 1, 4), (1, 1, 6), (1, 2, 2), (1, 2, 5), (1, 3, 5);
"""
# Cycle 1 (Team A): Anna, Bo (Carl inactive) = 2; took part: Anna (Carl inactive, Eva not a
# member). Cycle 2 (the department with its teams): Leder, Anna, Bo, Dina = 4; Anna, Dina.
# Cycle 3 (Team B): Dina, Anna = 2; Dina.
EXPECTED = {1: (2, 1), 2: (4, 2), 3: (2, 1)}


@ON_BOTH_BACKENDS
def test_the_migration_fills_the_counters_from_todays_data(backend, pg_url, tmp_path):
    app = migrated_app(fresh_url(backend, pg_url, tmp_path))
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            for statement in filter(str.strip, ROWS.split(";")):
                conn.execute(text(statement))
        upgrade()
        with db.engine.connect() as conn:
            counts = {
                row[0]: (row[1], row[2])
                for row in conn.execute(
                    text("SELECT id, member_count, contributor_count FROM cycles")
                )
            }
        db.engine.dispose()
    assert counts == EXPECTED


def test_the_counters_are_kept_on_sqlite(tmp_path):
    """The listener's SQL (recursive CTE, INSERT … SELECT, UPDATE … RETURNING) on SQLite."""
    from web.cycles.models import Cycle, Participation
    from web.dashboards.queries import leader_dashboard
    from web.orgs.models import Membership, MembershipRole, OrgUnit, UnitKind
    from web.tenancy import tenant_scope
    from web.tenants.models import Tenant
    from web.users.models import User

    app = migrated_app(f"sqlite:///{tmp_path}/k.db")
    with app.app_context():
        upgrade()
        tenant = Tenant(slug="let", name="Let Kommune", default_locale="da", settings={})
        db.session.add(tenant)
        db.session.commit()
        with app.test_request_context("/"), tenant_scope(tenant.id):
            dept = OrgUnit(name="Afdeling", kind=UnitKind.DEPARTMENT, external_id="a")
            db.session.add(dept)
            db.session.flush()
            team = OrgUnit(name="Team", kind=UnitKind.TEAM, parent_id=dept.id, external_id="t")
            people = [User(subject=f"s{i}", display_name=f"P{i}") for i in range(4)]
            db.session.add_all([team, *people])
            db.session.flush()
            db.session.add_all(
                [Membership(user_id=people[0].id, unit_id=dept.id, role=MembershipRole.LEADER)]
                + [
                    Membership(user_id=p.id, unit_id=team.id, role=MembershipRole.EMPLOYEE)
                    for p in people[1:3]
                ]
            )
            cycle = Cycle(
                unit_id=dept.id,
                include_subunits=True,
                preparation_starts_on=tenant.created_at.date(),
                preparation_ends_on=tenant.created_at.date(),
            )
            db.session.add(cycle)
            db.session.commit()
            db.session.add(Participation(cycle_id=cycle.id, user_id=people[1].id))
            db.session.commit()
            assert (cycle.member_count, cycle.contributor_count) == (3, 1)
            # Someone who joins after preparation opened counts from their first answer.
            db.session.add(
                Membership(user_id=people[3].id, unit_id=team.id, role=MembershipRole.EMPLOYEE)
            )
            db.session.add(Participation(cycle_id=cycle.id, user_id=people[3].id))
            db.session.commit()
            rows = leader_dashboard(db.session.get(User, people[0].id)).cycles
            assert [(r.members, r.contributors) for r in rows] == [(4, 2)]
        db.session.remove()
        db.engine.dispose()
