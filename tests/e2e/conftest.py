"""The whole product in a real browser: the fixtures.

One stack per test session, every part a real process on loopback, as in production:

- PostgreSQL: a database of its own (``…_e2e``), migrated as the owner with ``flask db upgrade``;
  the app and the worker connect as the non-owner role that row-level security binds;
- the demo municipality (``flask demo``), pointed at the dev identity provider
  (``python -m web.auth.dev_provider``, oidc-provider-mock) with ``flask sso demo``;
- gunicorn with ``web/gunicorn_conf.py`` (2 workers, CSRF on, ``AKTOR_ENV=test``);
- a Celery worker on a queue of its own, and the loopback SMTP server for its e-mails;
- Debian's Chromium (``/usr/bin/chromium``) driven by Playwright; one browser context per person.

``Person`` logs in through the provider like a person would; ``checked(page)`` runs axe-core and
the layout checks on the page it is on (see ``tests/e2e/checks.py``).
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
from sqlalchemy.engine import make_url

from tests.services import (
    TEST_DATABASE_URL,
    TEST_QUEUE,
    TEST_REDIS_URL,
    Process,
    celery_worker,
    child_env,
    drop_database,
    flask_command,
    free_port,
    gunicorn_server,
    recreate_database,
    wait_for,
)

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
E2E_DATABASE_URL = TEST_DATABASE_URL + "_e2e"
E2E_APP_DATABASE_URL = make_url(E2E_DATABASE_URL).set(username="aktorskab_app").render_as_string(
    hide_password=False)
E2E_QUEUE = TEST_QUEUE + "-e2e"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


@dataclass
class Stack:
    base_url: str
    web: Process
    worker: Process
    provider: Process
    smtp: object
    logs: Path
    env: dict[str, str] = field(default_factory=dict)

    def output(self) -> str:
        """What the processes said, for a failing test's message."""
        parts = []
        for name in ("web", "worker", "provider"):
            parts.append(f"--- {name} ---\n{getattr(self, name).output()[-6000:]}")
        return "\n".join(parts)


def _http_up(url: str, process: Process) -> bool:
    assert process.popen.poll() is None, process.output()
    try:
        return requests.get(url, timeout=5).status_code < 500
    except requests.RequestException:
        return False


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    from tests.smtp import running_smtp_server

    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: `apt-get install -y chromium` "
                    "(make test does it)")
    logs = tmp_path_factory.mktemp("e2e")
    recreate_database(E2E_DATABASE_URL)
    processes: list[Process] = []
    try:
        with running_smtp_server() as smtp:
            env = child_env(DATABASE_URL=E2E_APP_DATABASE_URL,
                            DATABASE_OWNER_URL=E2E_DATABASE_URL, REDIS_URL=TEST_REDIS_URL,
                            CELERY_QUEUE=E2E_QUEUE, AKTOR_ENV="test",
                            SECRET_KEY="e2e-secret-key", SMTP_HOST=smtp.host,
                            SMTP_PORT=str(smtp.port), REMINDER_SEND_WINDOW="always",
                            LOG_LEVEL="WARNING")
            flask_command(env, "db", "upgrade")
            flask_command(env, "demo")

            idp_port = free_port()
            provider = Process([sys.executable, "-m", "web.auth.dev_provider", "--port",
                                str(idp_port)], env, logs / "idp.log")
            processes.append(provider)
            # "localhost", not 127.0.0.1: browsers keep cookies per host, not per port, and
            # the provider's own session cookie would replace the app's.
            issuer = f"http://localhost:{idp_port}"
            wait_for(lambda: _http_up(f"{issuer}/.well-known/openid-configuration", provider),
                     30, "the identity provider")
            flask_command(env, "sso", "demo", "--issuer", issuer)

            port = free_port()
            base_url = f"http://127.0.0.1:{port}"
            web = gunicorn_server(env, logs / "web.log", port)
            processes.append(web)
            worker = celery_worker(env, logs / "worker.log")
            processes.append(worker)
            wait_for(lambda: _http_up(f"{base_url}/healthz", web), 60, "gunicorn")
            wait_for(lambda: "ready" in worker.output(), 60, "the Celery worker")
            yield Stack(base_url, web, worker, provider, smtp, logs, env)
    finally:
        for process in reversed(processes):
            process.stop()
        drop_database(E2E_DATABASE_URL)


@pytest.fixture(scope="session")
def browser(stack):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        yield browser
        browser.close()


@dataclass
class Person:
    """One person at their own browser (context): cookies, language and window of their own."""

    subject: str
    name: str
    locale: str
    base_url: str
    page: object
    visited: list[str] = field(default_factory=list)

    def go(self, path: str):
        reply = self.page.goto(self.base_url + path)
        assert reply is not None and reply.ok, f"{path}: {reply.status if reply else None}"
        return self.page

    def log_in(self) -> None:
        """The real SSO flow: the tenant's page, "Log ind", the provider's button for me."""
        page = self.page
        self.go("/t/demo/")
        self.choose_language()
        login = "Log in" if self.locale == "en" else "Log ind"
        page.get_by_role("link", name=login, exact=True).click()
        try:
            page.wait_for_url("**/oauth2/authorize**")
        except Exception as exc:
            raise AssertionError(f"{page.url}\n{page.content()[:3000]}") from exc
        page.locator(f'button[name="sub"][value="{self.subject}"]').click()
        page.wait_for_url(f"{self.base_url}/t/demo/")
        # The profile's language (from the provider) wins over the browser's: choose ours.
        self.choose_language()
        assert self.name in page.locator("h1").inner_text()

    def choose_language(self) -> None:
        """The language switch in the header, when the page is not in this person's language
        (the choice is kept in the session, through the login too)."""
        page = self.page
        if page.locator("html").get_attribute("lang") != self.locale:
            with page.expect_navigation():
                page.get_by_role("button", name="English" if self.locale == "en" else "Dansk",
                                 exact=True).click()
            assert page.locator("html").get_attribute("lang") == self.locale

    def close(self) -> None:
        self.page.context.close()


@pytest.fixture
def people(browser, stack) -> Iterator:
    """``people(subject, name, locale)``: a fresh browser for that person, logged in."""
    opened: list[Person] = []

    def open_for(subject: str, name: str, locale: str, *, log_in: bool = True) -> Person:
        context = browser.new_context(
            locale="en-GB" if locale == "en" else "da-DK", viewport=DESKTOP,
            extra_http_headers={"Accept-Language": "en-GB,en;q=0.9" if locale == "en"
                                else "da-DK,da;q=0.9"})
        context.set_default_timeout(15_000)
        person = Person(subject, name, locale, stack.base_url, context.new_page())
        opened.append(person)
        if log_in:
            person.log_in()
        return person

    yield open_for
    for person in opened:
        person.close()
