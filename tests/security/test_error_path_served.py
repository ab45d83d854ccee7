"""The audit's request against gunicorn, as production serves it (AKTOR_ENV=production).

``conclusion-<id>=a\\x00b`` on the meeting page used to answer gunicorn's bare 500 (no CSP, no
HSTS, no request id, English): the log filter read the tenant from the rolled-back session and
failed inside Flask's error logging. Now:

- the production app refuses it at the edge: a translated 400 page with every header, nothing
  stored;
- the same app without its input nets (tests/security/netless.py) lets the NUL reach PostgreSQL:
  the flush fails and the answer is the translated 500 page, with every header;
- with the database gone altogether the error page still renders (it needs no database).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from tests.services import (
    APP_DATABASE_URL,
    PRODUCTION_REDIS_URL,
    Process,
    child_env,
    free_port,
    gunicorn_server,
    wait_for,
)
from tests.world import build_world
from web.auth.session import session_payload
from web.cycles.models import Conclusion, Phase
from web.extensions import db
from web.security import CONTENT_SECURITY_POLICY, HSTS
from web.tenancy import tenant_scope

SECRET = "test-secret"  # the test app's: its serializer signs the session cookies below
COOKIE = "aktorskab_session"
DEAD_DATABASE = "postgresql+psycopg://aktorskab_app@127.0.0.1:9/none"  # a closed port


@dataclass
class Server:
    url: str
    process: Process


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict[str, Server]]:
    logs = tmp_path_factory.mktemp("served")
    variants = {
        "production": ("web:create_app()", APP_DATABASE_URL),
        "netless": ("tests.security.netless:create_app()", APP_DATABASE_URL),
        "no-database": ("web:create_app()", DEAD_DATABASE),
    }
    started: dict[str, Server] = {}
    try:
        for name, (spec, database) in variants.items():
            port = free_port()
            env = child_env(
                AKTOR_ENV="production",
                SECRET_KEY=SECRET,
                DATABASE_URL=database,
                REDIS_URL=PRODUCTION_REDIS_URL,
                LOG_LEVEL="WARNING",
            )
            started[name] = Server(
                f"http://127.0.0.1:{port}",
                gunicorn_server(env, logs / f"{name}.log", port, workers=1, app=spec),
            )
        for name, server in started.items():
            wait_for(lambda s=server: _up(s), 60, f"gunicorn ({name})")
        yield started
    finally:
        for server in started.values():
            server.process.stop()


def _up(server: Server) -> bool:
    assert server.process.popen.poll() is None, server.process.output()
    try:
        return requests.get(f"{server.url}/healthz", timeout=5).status_code < 600
    except requests.RequestException:
        return False


@pytest.fixture
def meeting(app: Flask, committed_make):
    world = build_world(committed_make)
    cycle = committed_make.started_cycle(
        world.tenant, world.team, world.leader, phase=Phase.MEETING
    )
    with app.app_context(), tenant_scope(world.tenant.id):
        prompt_id = db.session.merge(cycle).prompts[0].id
    cookie = app.session_interface.get_signing_serializer(app).dumps(
        dict(session_payload(world.leader))
    )
    return world, cycle.id, prompt_id, cookie


def conclusions(app: Flask, tenant) -> int:
    with app.app_context(), tenant_scope(tenant.id):
        count = db.session.scalar(select(func.count()).select_from(Conclusion))
        db.session.remove()
        return count


def assert_served_error(response, status: int, texts: tuple[str, ...]) -> None:
    body = response.text
    assert response.status_code == status, body[:1000]
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["Strict-Transport-Security"] == HSTS
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"]
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
    for text in texts:
        assert text in body, body[:3000]


def _post_conclusion(server: Server, meeting, *, with_csrf: bool, language: str):
    world, cycle_id, prompt_id, cookie = meeting
    url = f"{server.url}/t/{world.tenant.slug}/cycles/{cycle_id}/meeting"
    headers = {"Accept-Language": language}
    data = {f"conclusion-{prompt_id}": "a\x00b"}
    if with_csrf:  # past the edge, Flask-WTF's CSRF check would refuse first
        page = requests.get(url, headers={**headers, "Cookie": f"{COOKIE}={cookie}"}, timeout=10)
        assert page.status_code == 200, page.text[:500]
        data["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
        cookie = page.cookies.get(COOKIE) or cookie
    return requests.post(
        url,
        data=data,
        headers={**headers, "Cookie": f"{COOKIE}={cookie}"},
        timeout=10,
        allow_redirects=False,
    )


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("da", ("Der er ikke gemt noget", "Teksten indeholder tegn, der ikke er tilladt.")),
        ("en", ("Nothing has been saved", "The text contains characters that are not allowed.")),
    ],
)
def test_production_refuses_the_audits_nul_byte_with_a_translated_400(
    app, servers, meeting, language, texts
):
    response = _post_conclusion(servers["production"], meeting, with_csrf=False, language=language)
    world, _cycle, prompt_id, _cookie = meeting
    assert_served_error(response, 400, (*texts, f"conclusion-{prompt_id}"))
    assert conclusions(app, world.tenant) == 0


@pytest.mark.postgres("the failed flush is PostgreSQL refusing a NUL byte; SQLite stores it")
@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("da", "Noget gik galt hos os. Prøv igen om lidt."),
        ("en", "Something went wrong on our side. Please try again shortly."),
    ],
)
def test_past_the_nets_the_failed_flush_is_a_translated_500(app, servers, meeting, language, text):
    server = servers["netless"]
    response = _post_conclusion(server, meeting, with_csrf=True, language=language)
    world = meeting[0]
    assert_served_error(response, 500, (text, world.tenant.name))
    assert conclusions(app, world.tenant) == 0
    log = server.process.output()
    assert "PendingRollbackError" not in log and "Error handling request" not in log, log


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("da", "Noget gik galt hos os. Prøv igen om lidt."),
        ("en", "Something went wrong on our side. Please try again shortly."),
    ],
)
def test_without_a_database_the_500_page_still_renders(servers, language, text):
    response = requests.get(
        f"{servers['no-database'].url}/t/solby/", headers={"Accept-Language": language}, timeout=30
    )
    assert_served_error(response, 500, (text, f'<html lang="{language}">'))
