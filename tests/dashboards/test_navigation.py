"""Every page a role may use is reachable by clicking from the home page (issue 19, point 1).

The test follows links like a user would (GET only, within the tenant, breadth first) and
checks that each page the role is meant to use turns up, and that pages the role may not use
are never linked for it."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from flask import Flask

HREF = re.compile(r'<a\b[^>]*\bhref="([^"#]+)"')


def reachable(client, start: str, *, limit: int = 60) -> dict[str, str]:
    """Path -> endpoint of every page reached from ``start`` by following links."""
    app: Flask = client.application
    prefix = start.rstrip("/")
    seen: dict[str, str] = {}
    queue = deque([start])
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path)
        adapter = app.url_map.bind("localhost")
        endpoint, _ = adapter.match(urlsplit(path).path)
        seen[path] = endpoint
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for href in HREF.findall(response.get_data(as_text=True)):
            target = urlsplit(href.replace("&amp;", "&"))
            if target.netloc or not target.path.startswith(prefix):
                continue
            if target.path.endswith((".pdf", ".json", ".csv", ".xlsx", ".ics")):
                continue
            if target.path not in seen:
                queue.append(target.path)
    return seen


EMPLOYEE = {
    "t.tenants.home",
    "t.actions.mine",
    "t.examples.index",
    "t.collections.index",
    "t.gdpr.my_data",
    "t.api_tokens.index",
    "t.gdpr.privacy",
    "t.users.settings",
}
ADMIN_PAGES = {
    "t.admin.index",
    "t.admin.sso",
    "t.admin.unplaced",
    "t.admin.audit",
    "t.gdpr.people",
    "t.gdpr.settings",
    "t.reminders.failed",
}


@pytest.mark.parametrize(
    ("who", "expected", "forbidden"),
    [
        ("anna", EMPLOYEE, ADMIN_PAGES | {"t.dashboards.overview", "t.dashboards.leader"}),
        (
            "leader",
            EMPLOYEE | {"t.dashboards.leader", "t.cycles.new", "t.reminders.failed"},
            ADMIN_PAGES - {"t.reminders.failed"},
        ),
        ("hr", EMPLOYEE | {"t.dashboards.overview"}, ADMIN_PAGES),
        ("admin", EMPLOYEE | ADMIN_PAGES, set()),
    ],
)
def test_every_page_of_a_role_is_reachable_from_the_menu(world, login, who, expected, forbidden):
    client = login(getattr(world, who))
    endpoints = set(reachable(client, world.url("/")).values())
    assert expected <= endpoints, sorted(expected - endpoints)
    assert not endpoints & forbidden, sorted(endpoints & forbidden)


def _menu(html: str, marker: str) -> str:
    return html.split(marker)[1].split("</ul>")[0]


def test_an_employees_menu_stays_short_and_personal_pages_sit_under_the_name(world, login):
    html = login(world.anna).get(world.url("/")).get_data(as_text=True)
    main = _menu(html, '<ul class="mainmenu">')
    assert "API-nøgler" not in main and "Administration" not in main
    personal = _menu(html, '<details class="user-menu">')
    assert "Anna Andersen" in personal
    assert "API-nøgler" in personal and "Mine data" in personal


def test_an_admin_reaches_administration_from_the_menu_and_it_stays_marked(world, login):
    client = login(world.admin)
    html = client.get(world.url("/")).get_data(as_text=True)
    assert f'href="{world.url("/admin/")}" class="nav-link"><span>Administration</span>' in _menu(
        html, '<ul class="mainmenu">'
    )
    audit = client.get(world.url("/admin/audit")).get_data(as_text=True)
    current = re.search(
        r'<li class="active current">\s*<a [^>]*aria-current="page"><span>([^<]+)<', audit
    )
    assert current and current.group(1) == "Administration"


def test_an_admin_page_added_by_another_area_appears_on_the_administration_page(world, login, app):
    from flask_babel import lazy_gettext as _l

    from web import navigation

    before = list(navigation.ADMIN_ITEMS)
    try:
        navigation.register_admin_item(
            navigation.AdminItem(
                "t.gdpr.accessibility",
                _l("Tilgængelighedserklæring"),
                _l("Tilgængelighedserklæring"),
            ),
            before="t.admin.audit",
        )
        html = login(world.admin).get(world.url("/admin/")).get_data(as_text=True)
    finally:
        navigation.ADMIN_ITEMS[:] = before
    sections = re.findall(r'<h2 class="h3"><a href="[^"]+">([^<]+)</a>', html)
    assert sections[-2:] == ["Tilgængelighedserklæring", "Revisionslog"]
