"""Live across web nodes: two gunicorn servers on loopback sharing one database, no sticky
sessions. A change posted to one node shows on a view polling the other within 2 seconds."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import requests

from tests.services import (
    APP_DATABASE_URL,
    PRODUCTION_REDIS_URL,
    child_env,
    free_port,
    gunicorn_server,
    wait_for,
)
from tests.world import build_world
from web.auth.session import session_payload
from web.cycles.models import Phase

SECRET = "test-secret"
COOKIE = "aktorskab_session"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory) -> Iterator[list[str]]:
    logs = tmp_path_factory.mktemp("nodes")
    started = []
    try:
        for name in ("a", "b"):
            port = free_port()
            env = child_env(
                AKTOR_ENV="production",
                SECRET_KEY=SECRET,
                DATABASE_URL=APP_DATABASE_URL,
                REDIS_URL=PRODUCTION_REDIS_URL,
                LOG_LEVEL="WARNING",
            )
            started.append(
                (
                    f"http://127.0.0.1:{port}",
                    gunicorn_server(env, logs / f"{name}.log", port, workers=1),
                )
            )
        for url, process in started:
            wait_for(lambda u=url, p=process: _up(u, p), 60, f"gunicorn at {url}")
        yield [url for url, _p in started]
    finally:
        for _url, process in started:
            process.stop()


def _up(url, process) -> bool:
    assert process.popen.poll() is None, process.output()
    try:
        return requests.get(f"{url}/healthz", timeout=5).status_code < 600
    except requests.RequestException:
        return False


class Person:
    """One browser: a signed session cookie, and whichever node the balancer picks."""

    def __init__(self, app, user):
        self.cookie = app.session_interface.get_signing_serializer(app).dumps(
            dict(session_payload(user))
        )
        self.csrf = None

    def get(self, url: str, **headers: str) -> requests.Response:
        reply = requests.get(
            url, headers={"Cookie": f"{COOKIE}={self.cookie}", **headers}, timeout=10
        )
        self.cookie = reply.cookies.get(COOKIE) or self.cookie
        found = re.search(r'name="csrf_token" value="([^"]+)"', reply.text)
        if found:
            self.csrf = found[1]
        return reply

    def post(self, url: str, **data: str) -> requests.Response:
        reply = requests.post(
            url,
            data={**data, "csrf_token": self.csrf},
            headers={"Cookie": f"{COOKIE}={self.cookie}", "X-Live": "1"},
            timeout=10,
            allow_redirects=False,
        )
        self.cookie = reply.cookies.get(COOKIE) or self.cookie
        return reply


def test_a_thought_posted_on_one_node_appears_on_the_other_within_2_s(app, nodes, committed_make):
    world = build_world(committed_make)
    cycle = committed_make.started_cycle(
        world.tenant, world.team, world.leader, phase=Phase.MEETING
    )
    a, b = nodes
    path = f"/t/{world.tenant.slug}/cycles/{cycle.id}/live"
    leader, anna = Person(app, world.leader), Person(app, world.anna)
    leader.get(f"{a}{path}")
    assert leader.post(f"{a}{path}/start").status_code == 302
    page = anna.get(f"{b}{path}")  # Anna's phone is served by the other node
    assert page.status_code == 200, page.text[:500]
    prompt_id = re.search(r'data-prompt-id="(\d+)"', page.text)[1]
    first = anna.get(f"{b}{path}/state")
    seen, ticket = first.json()["version"], first.headers["ETag"]
    # The ticket node b gave is good on node a too: unchanged is answered 304 by either.
    for node in (a, b):
        assert anna.get(f"{node}{path}/state", **{"If-None-Match": ticket}).status_code == 304

    leader.get(f"{a}{path}")
    for n in range(3):
        posted = time.monotonic()
        reply = leader.post(
            f"{a}{path}/card", prompt_id=prompt_id, text=f"Tanke {n}", visibility="anonymous"
        )
        assert reply.status_code == 200, reply.text[:500]
        # Anna's view polls node b each second with its ticket, as live.js does.
        while True:
            polled = anna.get(f"{b}{path}/state", **{"If-None-Match": ticket})
            if polled.status_code == 200:
                ticket, version = polled.headers["ETag"], polled.json()["version"]
                if version != seen:
                    break
            else:
                assert polled.status_code == 304, polled.status_code
            assert time.monotonic() - posted < 2, "no change seen on the other node in 2 s"
            time.sleep(1)
        seen = version
        board = anna.get(f"{b}{path}?fragment=1").text
        assert f"Tanke {n}" in board
        assert time.monotonic() - posted < 2

    # A phone that dropped off and comes back gets the current board at once.
    assert "Tanke 0" in anna.get(f"{a}{path}?fragment=1").text
