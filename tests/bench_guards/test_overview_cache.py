"""The HR overview is rendered once per OVERVIEW_CACHE_SECONDS per tenant and language (in
Redis), never per request; it is off in tests unless a test turns it on, as these do."""

from __future__ import annotations

import re
import time

import pytest

from tests.querycount import queries_for
from web import cache
from web.cycles.models import Phase


@pytest.fixture
def cached(overview_cache):
    return overview_cache


def overview(client, world):
    response, log = queries_for(client, "get", world.url("/overview"))
    assert response.status_code == 200
    return response.get_data(as_text=True), log


def phase_total(html: str, label: str) -> int:
    """A row of the overview's phase totals (the per-unit table has its own page)."""
    totals = html.split('id="phase-totals"')[1].split("</table>")[0]
    return int(re.search(rf"{label}</th><td[^>]*>(\d+)<", totals).group(1))


def test_a_cached_overview_is_served_without_the_aggregates(world, make, login, cached):
    make.cycle(world.tenant, world.team, phase=Phase.MEETING)
    first, first_log = overview(login(world.hr), world)
    second, second_log = overview(login(world.admin), world)
    assert phase_total(first, "Dialogmøde") == 1  # the tenant's figures, computed once
    # The same tenant-wide part for every HR user or admin; the user's own header differs.
    assert first.split("<h1>")[1].split("</main>")[0] == second.split("<h1>")[1].split("</main>")[0]
    assert "Alma" not in first  # nothing about one user in the shared part
    assert second_log.count < first_log.count
    assert not any("WITH RECURSIVE" in s or "org_units" in s for s in second_log.statements), str(
        second_log
    )


def test_each_tenant_and_language_has_its_own(world, make, login, cached):
    from tests.dashboards.world import build_world

    other = build_world(make, slug="nabokommune")
    make.cycle(other.tenant, other.team, phase=Phase.MEETING)
    ours, _ = overview(login(world.hr), world)
    theirs, _ = overview(login(other.hr), other)
    assert phase_total(theirs, "Dialogmøde") == 1 and phase_total(ours, "Dialogmøde") == 0
    client = login(world.hr)
    with client.session_transaction() as session:
        session["lang"] = "en"
    english, _ = overview(client, world)
    assert "Overview of all units" in english
    assert "Overblik over alle enheder" in ours


def test_a_stale_copy_is_served_and_its_refresh_sent_once(app, world, make, login, cached):
    """The request never recomputes; the worker does (tests/dashboards/test_overview_refresh.py
    runs a real one)."""
    client = login(world.hr)
    before, _ = overview(client, world)
    make.unit(world.tenant, "Ny enhed", parent=world.area)
    within_ttl, _ = overview(client, world)
    assert "Ny enhed" not in within_ttl  # at most OVERVIEW_CACHE_SECONDS old

    with app.app_context():
        redis = cache._client()
        key = cache._full_key(f"overview:{world.tenant.id}:da:{world.tenant.k_threshold}")
        value = redis.get(key).partition(b"\n")[2]
        redis.set(key, f"{time.time() - 61:.3f}\n".encode() + value)  # expired
        stale, log = overview(client, world)
        assert "Ny enhed" not in stale and "Tallene bliver opdateret nu" in stale
        assert not any("WITH RECURSIVE" in s or "org_units" in s for s in log.statements), str(log)
        assert redis.exists(f"{key}:lock")  # its refresh was sent, and holds the lock
        redis.delete(key, f"{key}:lock")
