"""The whole product in a real browser: the fixtures.

One stack per test session, exactly what ``make run`` starts, in a temporary ``INSTANCE_PATH``
on the embedded default (a SQLite file and Celery's SQLAlchemy transport):

- ``flask db upgrade`` and ``flask demo`` (the demo municipality, pointed at the dev identity
  provider on ``IDP_PORT``);
- ``honcho start -f Procfile``: web (``flask run`` on ``PORT``), worker, beat, the dev identity
  provider (oidc-provider-mock), the dev inbox (maildump: SMTP on ``SMTP_PORT``, its web
  page and REST API on ``MAIL_WEB_PORT``, ``Stack.inbox_url``) and the demo's SAML IdP
  (samlify on ``SAML_IDP_PORT``), each on a free port that the Procfile reads from the
  environment (none on its default: another run's stack may be up on the machine);
- Debian's Chromium (``/usr/bin/chromium``) driven by Playwright; one browser context per person.

It runs once, on the SQLite pass of ``make test`` (on the PostgreSQL pass it is skipped):
``make run`` is the embedded default. ``Person`` logs in through the provider like a person
would; ``checked(page)`` runs axe-core and the layout checks on the page it is on (see
``tests/e2e/checks.py``).
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, Person
from tests.services import (
    SQLITE,
    Process,
    child_env,
    flask_command,
    free_port,
    wait_for,
)


def pytest_collection_modifyitems(config, items) -> None:
    if SQLITE:
        return
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(
                pytest.mark.skip(
                    reason="tests/e2e runs on what `make run` starts: the TEST_BACKEND=sqlite pass"
                )
            )


@dataclass
class Stack:
    base_url: str
    honcho: Process
    logs: Path
    env: dict[str, str] = field(default_factory=dict)
    inbox_url: str = ""

    def output(self) -> str:
        """What the processes said (honcho prefixes each line with its process), for a failing
        test's message."""
        return self.honcho.output()[-12000:]


def _http_up(url: str, process: Process) -> bool:
    assert process.popen.poll() is None, process.output()
    try:
        return requests.get(url, timeout=5).status_code < 500
    except requests.RequestException:
        return False


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: `apt-get install -y chromium` "
            "(make test does it)"
        )
    logs = tmp_path_factory.mktemp("e2e")
    instance = tmp_path_factory.mktemp("e2e-instance")
    port, idp_port, smtp_port, inbox_port = free_port(), free_port(), free_port(), free_port()
    saml_idp_port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # As `make run` has it: the checkout's venv on PATH, FLASK_APP=web, no DATABASE_URL or
    # REDIS_URL (the embedded default), development mode, reminders sent at any hour; only the
    # ports and folder are ours.
    env = child_env(
        INSTANCE_PATH=str(instance),
        PORT=str(port),
        IDP_PORT=str(idp_port),
        SMTP_PORT=str(smtp_port),
        MAIL_WEB_PORT=str(inbox_port),
        SAML_IDP_PORT=str(saml_idp_port),
        BASE_URL=base_url,
        FLASK_APP="web",
        # `make run` sends the demo's reminders at once (no 08:00 Copenhagen wait).
        REMINDER_SEND_WINDOW="always",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    env.pop("CELERY_QUEUE", None)
    flask_command(env, "db", "upgrade")
    flask_command(env, "demo")
    honcho = Process(
        [str(Path(sys.executable).parent / "honcho"), "start", "-f", "Procfile"],
        env,
        logs / "honcho.log",
    )
    try:
        wait_for(
            lambda: _http_up(
                f"http://127.0.0.1:{idp_port}/.well-known/openid-configuration", honcho
            ),
            60,
            "the identity provider",
        )
        wait_for(lambda: _http_up(f"{base_url}/healthz", honcho), 60, "the web process")
        wait_for(lambda: "ready" in honcho.output(), 90, "the Celery worker")
        wait_for(lambda: "beat: Starting" in honcho.output(), 60, "the beat")
        yield Stack(base_url, honcho, logs, env, f"http://127.0.0.1:{inbox_port}")
    finally:
        honcho.stop()


@pytest.fixture(scope="session")
def browser(stack):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def people(browser, stack) -> Iterator:
    """``people(subject, name, locale)``: a fresh browser for that person, logged in."""
    opened: list[Person] = []

    def open_for(subject: str, name: str, locale: str, *, log_in: bool = True) -> Person:
        context = browser.new_context(
            locale="en-GB" if locale == "en" else "da-DK",
            viewport=DESKTOP,
            extra_http_headers={
                "Accept-Language": "en-GB,en;q=0.9" if locale == "en" else "da-DK,da;q=0.9"
            },
        )
        context.set_default_timeout(15_000)
        person = Person(subject, name, locale, stack.base_url, context.new_page())
        opened.append(person)
        if log_in:
            person.log_in()
        return person

    yield open_for
    for person in opened:
        person.close()
