"""Every overview page reads a bounded number of shared buffers on a generated municipality.

Beside the query-count guard (``test_query_counts.py``): that one sees an N+1, this one sees a
plan going bad — one statement that scans every membership of the tenant instead of looking a
few up. The tenant is the bench generator's (``bench.generator``) at 6 % of the bench size
(3,000 people, 120 units, 120 cycles in every phase, 60,000 contributions), built and ANALYZEd
once for the module; each page's statements are replayed under EXPLAIN (ANALYZE, BUFFERS) and
their buffers summed (``tests/dashboards/buffers.py``).

The limits are about 3× what the pages read when this was written (beside each row, on this
tenant): room for a changed plan that stays an index lookup, none for a scan. The leader
dashboard that counted members at read time (LATERAL per unit, EXISTS per member, before
``web.cycles.tally``) read 1,604 buffers here, against 235 then and 249 with its two Core
statements (a correlated count per unit also touches the index root for units without a cycle).
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.dashboards.buffers import buffers_for
from tests.services import TEST_DATABASE_URL, TEST_REDIS_URL
from web.extensions import db
from web.models import today as local_today
from web.tenancy import tenant_scope

pytestmark = pytest.mark.postgres("EXPLAIN (ANALYZE, BUFFERS) and the bench generator's COPY")

SLUG = "buffers"

# (who, path, the most shared buffers its statements may read together)
PAGES = [
    ("employee", "/", 300),  # read 89 when written
    ("employee", "/actions/mine", 100),  # 24
    ("employee", "/examples/", 200),  # 51
    ("employee", "/cycles/{cycle}", 250),  # 69
    ("employee", "/cycles/{cycle}/prepare", 100),  # 27
    ("leader", "/units", 600),  # 249 (235 before; 1,604 when it counted members at read time)
    ("leader", "/cycles/{cycle}", 150),  # 31
    ("leader", "/cycles/{cycle}/actions", 100),  # 21
    ("hr", "/overview", 1_000),  # 323 (the overview's cache is off in tests: its figures too)
]


@pytest.fixture(scope="module")
def generated(app):
    """The generated tenant (committed, ANALYZEd) and who to sign in as; emptied afterwards."""
    from bench.generator import Sizes, generate
    from web import create_app

    # The generator connects as the schema owner (it takes ids from the sequences), as in bench.
    builder = create_app(
        {
            "ENV": "test",
            "SECRET_KEY": "x",
            "REDIS_URL": TEST_REDIS_URL,
            "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
        }
    )
    with builder.app_context():
        generate(SLUG, Sizes().scaled(0.06), seed=7, as_of=local_today())
        db.session.remove()
        db.engine.dispose()
    app.extensions["celery"].set_current()
    owner = create_engine(TEST_DATABASE_URL)
    with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
        tenant_id = conn.execute(
            text("SELECT id FROM tenants WHERE slug = :s"), {"s": SLUG}
        ).scalar_one()
        pick = {
            # A department leader (their dashboard covers the department's teams).
            "leader": """SELECT m.user_id FROM memberships m
                         JOIN org_units u ON u.id = m.unit_id AND u.kind = 'department'
                         JOIN cycles c ON c.unit_id = u.id AND c.phase <> 'closed'
                         WHERE m.tenant_id = :t AND m.role = 'leader' ORDER BY m.user_id""",
            # An employee whose team has an open cycle.
            "employee": """SELECT m.user_id FROM memberships m
                           JOIN cycles c ON c.unit_id = m.unit_id AND c.phase <> 'closed'
                           WHERE m.tenant_id = :t AND m.role = 'employee'
                           ORDER BY m.user_id""",
            "hr": "SELECT user_id FROM tenant_roles WHERE tenant_id = :t AND role = 'hr' "
            "ORDER BY user_id",
        }
        people = {
            who: conn.execute(text(sql), {"t": tenant_id}).scalars().first()
            for who, sql in pick.items()
        }
        cycles = {
            who: conn.execute(
                text(
                    "SELECT c.id FROM cycles c JOIN memberships m ON m.unit_id = c.unit_id "
                    "WHERE m.user_id = :u AND c.phase <> 'closed' ORDER BY c.id"
                ),
                {"u": people[who]},
            )
            .scalars()
            .first()
            for who in ("leader", "employee")
        }
    yield tenant_id, people, cycles
    with owner.begin() as conn:
        conn.execute(text("DELETE FROM tenants WHERE id = :t"), {"t": tenant_id})  # cascades
    owner.dispose()


@pytest.mark.parametrize(("who", "path", "limit"), PAGES)
def test_pages_read_a_bounded_number_of_buffers(generated, app, login, who, path, limit):
    from web.users.models import User

    tenant_id, people, cycles = generated
    with app.app_context(), tenant_scope(tenant_id):
        user = db.session.get(User, people[who])
    client = login(user)
    url = f"/t/{SLUG}" + path.format(cycle=cycles.get(who))
    client.get(url)  # warm up: the first request of a client may set session keys
    response, page = buffers_for(client, "get", url)
    assert response.status_code == 200, url
    print(f"{who} {path}: {page.total} buffers in {len(page.statements)} statements")
    assert page.total <= limit, f"{url}: {page.total} shared buffers (limit {limit}):\n{page}"
