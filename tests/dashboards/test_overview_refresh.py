"""The HR overview is never computed in a request while any copy of it exists: a stale copy is
served at once and a real Celery worker refreshes it; the beat refreshes the copies people read
before they go stale; a cold cache is computed by one request while concurrent ones wait; and
without Redis (the embedded default) every request computes it, as before."""

from __future__ import annotations

import re
import threading
import time
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import event

from tests.dashboards.world import build_world
from tests.factories import Factory
from tests.services import (
    celery_worker,
    wait_for,
    worker_env,
)
from web import cache, create_app
from web.auth.session import session_payload
from web.cycles.models import Phase
from web.dashboards import tasks
from web.extensions import db
from web.users.models import TenantRoleName

TTL = 60


@pytest.fixture
def world(make):
    """Per test, not per module (tests/dashboards/conftest.py): this module's tests also commit."""
    return build_world(make)


@pytest.fixture
def cached(overview_cache):
    return overview_cache


@pytest.fixture(scope="module")
def worker(app, tmp_path_factory):
    """One real Celery worker for this module's tests (it reads whatever they committed)."""
    app.extensions["celery"].control.purge()
    env = worker_env()
    process = celery_worker(env, tmp_path_factory.mktemp("overview-worker") / "worker.log")
    yield process
    process.stop()


def signed_in(app, user):
    """A test client of its own (not the rolled-back ``client``), signed in as ``user``."""
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(session_payload(user))
    return client


def page(client, world) -> str:
    response = client.get(world.url("/overview"))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def computed_at(html: str) -> str:
    return re.search(r'<p class="figures-as-of"><time datetime="([^"]+)">', html).group(1)


def without_cycle(html: str) -> int:
    """How many units have had no cycle yet, by the overview's phase totals (the per-unit table
    has its own page, computed per request)."""
    totals = html.split('id="phase-totals"')[1].split("</table>")[0]
    return int(re.search(r"Intet forløb endnu</th><td[^>]*>(\d+)<", totals).group(1))


def stored_key(app, world) -> str:
    with app.app_context():
        return cache._full_key(tasks.cache_key(world.tenant.id, "da", world.tenant.k_threshold))


def age_copy(app, world, seconds: float) -> None:
    """Make the stored copy look ``seconds`` old (as if time had passed)."""
    with app.app_context():
        redis, key = cache._client(), stored_key(app, world)
        value = redis.get(key).partition(b"\n")[2]
        redis.set(key, f"{time.time() - seconds:.3f}\n".encode() + value)


@contextmanager
def aggregate_statements(app):
    """The overview's tenant-wide statements sent meanwhile, from any thread of this process."""
    with app.app_context():
        engine = db.engine
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if "WITH RECURSIVE" in statement or "FROM org_units" in statement:
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


# --- what the page says --------------------------------------------------------------------------


def test_the_page_says_when_its_figures_were_computed(world, login):
    client = login(world.hr)
    html = page(client, world)
    assert re.search(r"Tal fra kl\. \d\d\.\d\d\.", html)
    assert "Tallene bliver opdateret" not in html
    with client.session_transaction() as session:
        session["lang"] = "en"
    assert "Figures as of " in page(client, world)


# --- with a real worker ------------------------------------------------------------------------


@pytest.mark.worker
def test_a_stale_copy_is_served_at_once_and_the_worker_refreshes_it(
    app, committed_make, cached, worker
):
    world = build_world(committed_make)
    client = signed_in(app, world.hr)
    first = page(client, world)
    committed_make.unit(world.tenant, "Ny enhed", parent=world.area)
    age_copy(app, world, TTL + 1)

    with aggregate_statements(app) as sent:
        stale = page(client, world)
    assert not sent, sent  # the request did not compute
    assert without_cycle(stale) == without_cycle(first)
    assert computed_at(stale) < computed_at(first)  # the copy as aged above
    assert "Tallene bliver opdateret nu" in stale

    def refreshed() -> bool:
        return without_cycle(page(client, world)) == without_cycle(first) + 1

    wait_for(refreshed, 60, f"the worker's refresh\n{worker.output()[-3000:]}")
    fresh = page(client, world)
    assert "Tallene bliver opdateret" not in fresh
    assert computed_at(fresh) >= computed_at(first)  # (to the second)
    assert "refresh_overview" in worker.output()


@pytest.mark.worker
def test_the_beat_refreshes_a_copy_people_read_before_it_goes_stale(
    app, committed_make, cached, worker
):
    world = build_world(committed_make)
    client = signed_in(app, world.hr)
    first = page(client, world)
    idle = without_cycle(first)
    committed_make.cycle(world.tenant, world.team, phase=Phase.MEETING)
    with app.app_context():
        assert tasks.refresh_read_overviews() == 0  # fresh: nothing to do
    age_copy(app, world, TTL / 2 + 1)  # half its time: not stale yet, but due
    with app.app_context():
        assert tasks.refresh_read_overviews() == 1
        assert tasks.refresh_read_overviews() == 0  # already on its way: sent once

    def refreshed() -> bool:
        with app.app_context():
            return cache._client().exists(f"{stored_key(app, world)}:lock") == 0

    wait_for(refreshed, 60, f"the worker's refresh\n{worker.output()[-3000:]}")
    with aggregate_statements(app) as sent:
        html = page(client, world)
    assert not sent, sent
    assert computed_at(html) >= computed_at(first)  # (to the second)
    assert "Tallene bliver opdateret" not in html
    assert without_cycle(html) == idle - 1  # Hjemmeplejen has its cycle now


def test_the_beat_leaves_copies_nobody_read_lately(app, world, login, cached):
    page(login(world.hr), world)
    age_copy(app, world, TTL)
    with app.app_context():
        redis = cache._client()
        key = tasks.cache_key(world.tenant.id, "da", world.tenant.k_threshold)
        redis.zadd(cache._reads_key(), {key: time.time() - cache.READ_WINDOW_SECONDS - 1})
        assert tasks.refresh_read_overviews() == 0
        assert redis.zscore(cache._reads_key(), key) is None  # forgotten, not rescanned


# --- a cold cache ------------------------------------------------------------------------------


def test_a_cold_cache_is_computed_once_however_many_ask_at_once(app, committed_make, cached):
    world = build_world(committed_make)
    with aggregate_statements(app) as one:
        page(signed_in(app, world.hr), world)
    with aggregate_statements(app) as warm:
        page(signed_in(app, world.hr), world)
    with app.app_context():  # as if Redis had been emptied
        cache.forget(tasks.cache_key(world.tenant.id, "da", world.tenant.k_threshold))

    people = [world.hr] + [
        committed_make.user(world.tenant, f"HR {n}", roles=(TenantRoleName.HR,)) for n in range(5)
    ]
    clients = [signed_in(app, person) for person in people]
    start, pages = threading.Barrier(len(clients)), [None] * len(clients)

    def load(i: int) -> None:
        start.wait()
        pages[i] = page(clients[i], world)

    threads = [threading.Thread(target=load, args=(i,)) for i in range(len(clients))]
    with aggregate_statements(app) as together:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert len(together) == len(one) + (len(clients) - 1) * len(warm), "computed more than once"
    assert len({computed_at(html) for html in pages}) == 1
    assert all(without_cycle(html) == 4 for html in pages)


# --- the embedded default ----------------------------------------------------------------------


def test_without_redis_every_request_computes_as_before(app, tmp_path):
    embedded = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": None,
            "REDIS_URL": None,
            "SECRET_KEY": "dev",
            "ENV": "development",
        }
    )
    try:
        with embedded.app_context():
            upgrade()
        make = Factory(embedded)
        world = build_world(make)
        client = signed_in(embedded, world.hr)
        first = page(client, world)
        assert without_cycle(first) == 4 and "Tal fra kl." in first
        make.unit(world.tenant, "Ny enhed", parent=world.area)
        assert without_cycle(page(client, world)) == 5  # computed again, at once
    finally:
        with embedded.app_context():
            db.engine.dispose()
