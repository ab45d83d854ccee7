"""The bench generator (``bench/generator``): what it builds, that it builds it again the same, and
that it stays inside its tenant and its own kind of database.

A small municipality (1 % of the bench size: 500 people, 20 units, 20 cycles, 10,000
contributions) is generated twice with one seed and once with another, as the schema owner
(the generator takes ids from the sequences, as in ``bench/``); the rows are read back in plain
SQL, and the module deletes its tenants at the end.
"""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from tests.services import TEST_DATABASE_URL, TEST_REDIS_URL
from web.extensions import db

pytestmark = pytest.mark.postgres("the bench generator writes by PostgreSQL COPY")

AS_OF = date(2026, 3, 2)
SCALE = 0.01
SLUGS = ("gen-a", "gen-b", "gen-c")  # gen-b: gen-a's seed again; gen-c: another seed


def _fingerprint(conn, tenant_id: int) -> dict:
    """What the generated tenant holds, without its ids (which the sequences hand out)."""
    one = lambda sql: conn.execute(text(sql), {"t": tenant_id}).all()  # noqa: E731
    return {
        "units": one(
            "SELECT kind, name, external_id FROM org_units WHERE tenant_id = :t "
            "ORDER BY external_id"
        ),
        "people": one(
            "SELECT display_name, email, is_active FROM users WHERE tenant_id = :t ORDER BY email"
        ),
        "phases": one(
            "SELECT phase, count(*) FROM cycles WHERE tenant_id = :t GROUP BY phase ORDER BY phase"
        ),
        "contributions": one(
            "SELECT lower(visibility::text), count(*), count(author_id) "
            "FROM contributions WHERE tenant_id = :t GROUP BY 1 ORDER BY 1"
        ),
        "actions": one(
            "SELECT status, count(*) FROM actions WHERE tenant_id = :t "
            "GROUP BY status ORDER BY status"
        ),
        "examples": one("SELECT count(*) FROM examples WHERE tenant_id = :t"),
    }


@pytest.fixture(scope="module")
def generated(app):
    from bench.generator import Sizes, generate
    from web import create_app

    builder = create_app(
        {
            "ENV": "test",
            "SECRET_KEY": "x",
            "REDIS_URL": TEST_REDIS_URL,
            "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
        }
    )
    counts = {}
    with builder.app_context():
        for slug, seed in zip(SLUGS, (3, 3, 4), strict=True):
            counts[slug] = generate(slug, Sizes().scaled(SCALE), seed=seed, as_of=AS_OF)
        db.session.remove()
        db.engine.dispose()
    app.extensions["celery"].set_current()
    owner = create_engine(TEST_DATABASE_URL)
    with owner.connect() as conn:
        ids = {
            slug: conn.execute(
                text("SELECT id FROM tenants WHERE slug = :s"), {"s": slug}
            ).scalar_one()
            for slug in SLUGS
        }
    yield ids, counts
    with owner.begin() as conn:
        for tenant_id in ids.values():
            conn.execute(text("DELETE FROM tenants WHERE id = :t"), {"t": tenant_id})
    owner.dispose()


def test_it_builds_the_sizes_it_was_asked_for(generated):
    from bench.generator import Sizes

    ids, counts = generated
    sizes = Sizes().scaled(SCALE)
    owner = create_engine(TEST_DATABASE_URL)
    with owner.connect() as conn:
        got = _fingerprint(conn, ids["gen-a"])
        people = conn.execute(
            text("SELECT count(*) FROM users WHERE tenant_id = :t"), {"t": ids["gen-a"]}
        ).scalar_one()
        kinds = {kind for kind, _, _ in got["units"]}
        # Once the meeting started, an anonymous contribution is sealed: it has no author.
        sealed_with_author = conn.execute(
            text(
                "SELECT count(*) FROM contributions x JOIN cycles c ON c.id = x.cycle_id "
                "WHERE x.tenant_id = :t AND lower(x.visibility::text) = 'anonymous' "
                "AND lower(c.phase::text) <> 'preparation' AND x.author_id IS NOT NULL"
            ),
            {"t": ids["gen-a"]},
        ).scalar_one()
    owner.dispose()
    assert people == sizes.employees
    assert len(got["units"]) == sizes.units
    assert kinds == {"organisation", "area", "department", "team"}
    assert sum(n for _, n in got["phases"]) == sizes.cycles == counts["gen-a"]["cycles"]
    assert len(got["phases"]) == 5  # every phase, closed included
    assert sum(n for _, n, _ in got["contributions"]) == sizes.contributions
    by_visibility = {v: (n, authored) for v, n, authored in got["contributions"]}
    assert set(by_visibility) == {"private", "named", "anonymous"}
    assert by_visibility["named"][0] == by_visibility["named"][1]  # named ones name someone
    assert by_visibility["anonymous"][1] < by_visibility["anonymous"][0]
    assert sealed_with_author == 0
    assert got["examples"][0][0] == sizes.examples


def test_the_same_seed_builds_the_same_municipality(generated):
    ids, _ = generated
    owner = create_engine(TEST_DATABASE_URL)
    with owner.connect() as conn:
        a, b, c = (_fingerprint(conn, ids[slug]) for slug in SLUGS)
    owner.dispose()
    assert a == b
    assert a["people"] != c["people"]


def test_every_reference_stays_inside_its_tenant(generated):
    """No foreign key the generator wrote points into another tenant (checked apart from its own
    ``verify``)."""
    from bench.generator import REFERENCES

    ids, _ = generated
    owner = create_engine(TEST_DATABASE_URL)
    with owner.connect() as conn:
        for child, column, parent in REFERENCES:
            crossed = conn.execute(
                text(
                    f"SELECT count(*) FROM {child} c JOIN {parent} p ON p.id = c.{column} "
                    "WHERE c.tenant_id = ANY(:ids) AND p.tenant_id <> c.tenant_id"
                ),
                {"ids": list(ids.values())},
            ).scalar_one()
            assert crossed == 0, f"{child}.{column}"
    owner.dispose()


def test_it_refuses_any_database_but_a_bench_one():
    from bench.generator import generate_command

    result = CliRunner().invoke(generate_command, ["x", "--database-url", TEST_DATABASE_URL])
    assert result.exit_code != 0
    assert "bench" in result.output
