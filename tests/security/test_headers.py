"""Security headers on every response, and no inline script or style the policy would block."""

from __future__ import annotations

import re
from pathlib import Path

from web.charts import without_inline_styles
from web.security import CONTENT_SECURITY_POLICY

ROOT = Path(__file__).resolve().parents[2]


def test_every_response_carries_the_headers(client, make):
    make.tenant("solby")
    for url in ("/", "/healthz", "/t/solby/", "/t/solby/findes-ikke", "/t/ukendt/"):
        headers = client.get(url).headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in headers  # local development / tests: plain HTTP


def test_the_policy_allows_nothing_inline():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


def test_hsts_in_production(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ENV", "production")
    assert client.get("/healthz").headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains"
    )


def test_page_templates_have_no_inline_script_or_style():
    """Pages are served under the policy. E-mails (reminders/email) and the stored report and
    catalogue documents (rendered for WeasyPrint; the report's HTML download is served with its
    own policy without scripts) are not pages."""
    not_pages = ("reminders/email/", "reports/document.html", "collections/export.html")
    offenders = []
    for path in sorted((ROOT / "web").rglob("templates/**/*.html")):
        rel = path.relative_to(ROOT).as_posix()
        if any(part in rel for part in not_pages):
            continue
        text = path.read_text()
        for pattern in (
            r"<style",
            r"\sstyle=",
            r"<script(?![^>]*\ssrc=)",
            r"\son[a-z]+=",
            r"javascript:",
        ):
            if re.search(pattern, text):
                offenders.append(f"{rel}: {pattern}")
    assert offenders == []


def test_inline_svg_styles_become_attributes():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><defs><style type="text/css">'
        "*{stroke-linejoin: round; stroke-linecap: butt}</style></defs>"
        '<path style="fill: #0059b3; stroke: none"/>'
        "<text style=\"font-size: 10px; font-family: 'DejaVu Sans', sans-serif\">x</text></svg>"
    )
    out = without_inline_styles(svg)
    assert "style" not in out
    assert out.startswith('<svg stroke-linejoin="round" stroke-linecap="butt" xmlns=')
    assert '<path fill="#0059b3" stroke="none"/>' in out
    assert "font-family=\"'DejaVu Sans', sans-serif\"" in out
