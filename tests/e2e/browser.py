"""The browser tests' Chromium and the person at it (the fixtures are in tests/e2e/conftest.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


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
                page.get_by_role(
                    "button", name="English" if self.locale == "en" else "Dansk", exact=True
                ).click()
            assert page.locator("html").get_attribute("lang") == self.locale

    def close(self) -> None:
        self.page.context.close()
