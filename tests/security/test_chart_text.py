"""Charts never interpret what people typed: a unit named ``Social $\\foo$ og Sundhed`` used to
fail every Hovedudvalg report of its tenant (matplotlib's mathtext: ``Unknown symbol \\foo``),
and ``$x^{2}$`` was drawn as math. With math parsing off, each name is made into the report and
appears literally in the SVG's text; the HR overview's chart likewise."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.reports.test_render import generate
from tests.reports.town import build_town
from web.dashboards.chart import participation_svg
from web.dashboards.queries import AreaParticipation
from web.extensions import db
from web.orgs.models import OrgUnit
from web.reports.models import ReportStatus

NAMES = [
    "Social $\\foo$ og Sundhed",
    "Team $x^{2}$",
    "Linje\\nskift",
    "100% {} og $",
    "$\\frac{1}{0}$ _under_ ^hat^",
]


def svg_texts(document: str) -> list[str]:
    """The text of every <text> element of the document's SVGs, unescaped."""
    return [html.unescape(t) for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", document)]


@pytest.mark.parametrize("name", NAMES)
def test_the_report_is_made_and_shows_the_name_literally(make, scope, name):
    town = build_town(make)
    with scope(town.tenant):
        db.session.get(OrgUnit, town.units["bu"].id).name = name
        db.session.commit()
    report, _progress = generate(town, scope)
    assert report.status == ReportStatus.DONE
    chart = report.html.split('aria-labelledby="chart-participation"')[1].split("</svg>")[0]
    assert name in svg_texts(chart)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Latin letters (DejaVu Sans has their glyphs: a missing glyph is a warning, an error here).
@given(
    name=st.text(
        st.characters(max_codepoint=0x24F, categories=("L", "N", "P", "S", "Zs")),
        min_size=1,
        max_size=24,
    ).filter(str.strip)
)
@example(name="Social $\\foo$ og Sundhed")
@example(name="Team $x^{2}$")
def test_the_overview_chart_draws_any_name_as_text(ctx, name):
    """Any printable name (letters, digits, punctuation, symbols: $ \\ ^ _ { } %) is one label."""
    svg = participation_svg([AreaParticipation(label=name, members=10, contributors=4)])
    assert svg is not None
    # matplotlib keeps a label's spaces but not leading/trailing ones; textwrap.fill joins runs.
    assert " ".join(name.split()) in [" ".join(t.split()) for t in svg_texts(str(svg))]
