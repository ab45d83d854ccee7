"""One date format per context (issue 19, point 8): ``when("table")`` short, ``when("prose")``
long, in the page's language and the user's time zone; downloads write ISO (tests/admin)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

MEETING = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)  # 10.00 in Copenhagen


@pytest.mark.parametrize(
    ("locale", "context", "value", "shown"),
    [
        ("da", "table", date(2026, 12, 9), "9. dec. 2026"),
        ("da", "prose", date(2026, 12, 9), "9. december 2026"),
        ("da", "table", MEETING, "10. dec. 2026 10.00"),
        ("da", "prose", MEETING, "10. december 2026 kl. 10.00"),
        ("en", "table", date(2026, 12, 9), "Dec 9, 2026"),
        ("en", "prose", MEETING, "December 10, 2026 at 10:00 AM"),
        ("da", "table", None, ""),
    ],
)
def test_when_formats_by_context(app, locale, context, value, shown):
    with app.test_request_context("/"), force_locale(locale):
        text = render_template_string("{{ v | when(c) }}", v=value, c=context)
    assert " ".join(text.split()) == shown


def test_no_page_formats_a_date_but_through_when():
    """Every page's day goes through ``when``; only a bare clock time ("kl. 14.05": the live
    meeting's timer, today's figures) is formatted on its own."""
    import re
    from pathlib import Path

    web = Path(__file__).resolve().parents[1] / "web"
    other = re.compile(
        r"\|\s*(?:dateformat|datetimeformat|timeformat)\(\s*['\"]([^'\"]+)"
        r"|\.strftime\(|\|\s*dateformat\b(?!\()"
    )
    found = [
        (str(p.relative_to(web)), m.group(0))
        for p in web.rglob("*.html")
        for m in other.finditer(p.read_text())
        if not (
            (m.group(1) in ("HH:mm", "short") and "timeformat" in m.group(0))
            or m.group(1) == "HH:mm"
        )
    ]
    assert found == []
