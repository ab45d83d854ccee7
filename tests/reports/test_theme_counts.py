"""The report's themes (web/themes) leave the team through the same engine as every other figure:
a theme's team count is a count figure of the whole organisation (``anonymity
.organisation_counts``), and the themes' own rule (at least k teams,
``web.themes.services.may_show_count``) comes on top. Generated organisations check that the
two together never show what the engine hides, and where the k-teams rule alone would.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from web.reports.anonymity import organisation_counts
from web.reports.services import shown_themes
from web.themes.services import may_show_count


@st.composite
def organisations(draw):
    k = draw(st.integers(3, 7))
    n_people = draw(st.integers(0, 12))
    n_teams = draw(st.integers(1, 10))
    # A leader may lead several teams: a team's people overlap another's.
    teams = [frozenset(draw(st.sets(st.integers(0, max(0, n_people - 1)), min_size=1,
                                    max_size=4))) if n_people else frozenset()
             for _ in range(n_teams)]
    themes = draw(st.lists(st.sets(st.integers(0, n_teams - 1)), max_size=4))
    return k, frozenset(range(n_people)), teams, themes


@settings(max_examples=200, deadline=None, database=None)
@given(organisations())
def test_a_theme_count_is_shown_only_if_the_engine_and_the_k_teams_rule_both_allow(case):
    k, people, teams, themes = case
    # What web.themes hands the report: (label, teams) of the themes its own rule allows.
    offered = [(f"tema {i}", len(behind)) for i, behind in enumerate(themes)
               if may_show_count(len(behind), k)]
    shown = shown_themes(offered, people, k)
    engine = organisation_counts(people, dict(offered), k)
    assert shown == [(label, n) for label, n in offered if engine[label] is not None]
    for _label, n in shown:
        assert n >= k  # the themes' rule still holds
        # The organisation is at least k people: a figure of 1..k-1 people is never shown
        # (the figure is the organisation's only published cell, so it narrows no smaller
        # group).
        assert len(people) >= k

def test_the_k_teams_rule_alone_would_show_a_count_of_an_organisation_below_k():
    # Two people lead three teams between them, each team wrote about the theme: three teams
    # (k = 3) but two people. The engine withholds the organisation, so the theme is left out.
    assert may_show_count(3, 3)
    assert shown_themes([("vagtplaner", 3)], frozenset({1, 2}), 3) == []
    assert shown_themes([("vagtplaner", 3)], frozenset({1, 2, 3}), 3) == [("vagtplaner", 3)]


def test_the_report_says_why_no_theme_is_shown_in_an_organisation_below_k(town, scope):
    from flask_babel import force_locale

    from tests.reports.conftest import PERIOD
    from web.reports import services
    from web.reports.figures import Period, compute
    from web.reports.render import Document, render_html

    with scope(town.tenant), force_locale("da"):
        period = Period(*PERIOD)
        everyone = len(compute(period, 5, [], services.today()).people)
        k = everyone + 1
        figures = compute(period, k, [], services.today())
        themes = shown_themes([("vagtplaner", k)], figures.people, k)
        html = render_html(Document("Solby Kommune", period, k, figures, [], services.today(),
                                    None, themes=themes))
    assert themes == []
    assert f"Ingen temaer vises: der er færre end {k} personer i organisationen." in html
