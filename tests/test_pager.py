"""One pager for every list (issue 19): the paging links come from templates/_pager.html's
macro, addressed by the endpoint, and no list template writes its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import render_template_string

WEB = Path(__file__).resolve().parents[1] / "web"
CALL = "{% from '_pager.html' import pager with context %}{{ pager("


def links(html: str) -> list[tuple[str, str]]:
    return [
        (text, href.replace("&amp;", "&"))
        for href, text in re.findall(r'<a[^>]*href="([^"]+)">([^<]+)</a>', html)
    ]


def test_no_list_template_writes_its_own_paging_links():
    own = [
        str(p.relative_to(WEB))
        for p in WEB.rglob("*.html")
        if p.name != "_pager.html"
        and re.search(r"page\s*=\s*page\s*[-+]\s*1|before=older", p.read_text())
    ]
    assert own == []
    users = {
        p.relative_to(WEB).parts[0] for p in WEB.rglob("*.html") if "import pager" in p.read_text()
    }
    assert {"dashboards", "admin", "examples"} <= users


@pytest.fixture
def render(app):
    def render(args: str) -> str:
        with app.test_request_context("/"):
            return render_template_string(CALL + args + ") }}")

    return render


def test_counted_pages(render):
    assert render("'ops.healthz', {'q': 'ø'}, page=1, pages=1").strip() == ""
    first = render("'ops.healthz', {'q': 'ø'}, page=1, pages=3")
    assert "Side 1 af 3" in first
    assert links(first) == [("Næste side", "/healthz?q=%C3%B8&page=2")]
    middle = render("'ops.healthz', {'q': 'ø'}, page=2, pages=3")
    assert links(middle) == [
        ("Forrige side", "/healthz?q=%C3%B8&page=1"),
        ("Næste side", "/healthz?q=%C3%B8&page=3"),
    ]
    assert links(render("'ops.healthz', {}, page=3, pages=3")) == [
        ("Forrige side", "/healthz?page=2")
    ]


def test_uncounted_and_keyset_pages(render):
    assert links(render("'ops.healthz', page=2, has_next=False")) == [
        ("Forrige side", "/healthz?page=1")
    ]
    assert "Side 1" not in render("'ops.healthz', page=1, has_next=True")
    keyset = render("'ops.healthz', {'person': 7}, page=2, next_args={'before': 41}")
    assert links(keyset) == [
        ("Første side", "/healthz?person=7"),
        ("Næste side", "/healthz?person=7&page=3&before=41"),
    ]
    assert render("'ops.healthz', {}, page=1, next_args={}").strip() == ""
