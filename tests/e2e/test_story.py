"""The whole story in a real browser, once in Danish and once in English.

HR starts a campaign for an area → the team's leader sets the meeting → three employees log in
through the identity provider and answer (one named, one anonymously, one privately; the first
with the keyboard alone) → the leader holds the meeting: conclusions and two actions → an
employee offers an example for sharing → follow-up → HR has the worker compile the example and
approves the redacted text → HR has the worker make a Hovedudvalg report → a Hovedudvalg member
downloads its PDF. Each person sees what they should, and not what they must not. Every page
visited passes axe-core (WCAG 2.1 A/AA), has the run's language and reflows at 320 px and 200 %.

The two runs use different areas of the demo municipality (a unit has one open cycle at a time).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from babel.support import Translations

from tests.e2e.checks import check_page, screenshot
from tests.services import ROOT
from web.models import today as local_today

pytestmark = pytest.mark.e2e

_ENGLISH = Translations.load(str(ROOT / "translations"), ["en"])


@dataclass(frozen=True)
class Cast:
    locale: str
    area: str
    team: str
    other_team: str
    leader: tuple[str, str]
    named: tuple[str, str]  # answers with her name; keyboard only; owns an action; an example
    anonymous: tuple[str, str]
    private: tuple[str, str]
    other: tuple[str, str]  # an employee of the other team
    texts: dict[str, str]


CASTS = [
    Cast(
        "da",
        "Børn og Unge",
        "Børnehuset Solsikken",
        "Vuggestuen Mælkebøtten",
        ("lars.leder", "Lars Nielsen"),
        ("anna.ansat", "Anna Larsen"),
        ("peter.ansat", "Peter Hansen"),
        ("jonas.ansat", "Jonas Andersen"),
        ("emma.ansat", "Emma Madsen"),
        {
            "named": "Når vi selv planlægger formiddagen med børnene",
            "anonymous": "Når ingen ser det, rydder jeg op efter de andre",
            "private": "Jeg orker ikke flere møder om aktørskab",
            "conclusion": "Vi planlægger selv formiddagene, når det giver mening for børnene.",
            "action1": "Prøv selvplanlagte formiddage i fire uger",
            "action2": "Fortæl forældrene om de nye formiddage",
            "example_title": "Udflugten der blev reddet",
            "example_text": "Peter Hansen ringede til busselskabet på 22 33 44 55, da bussen "
            "udeblev, og fik en ny bus på en halv time.",
            "outcome": "Vi prøvede det i fire uger; børnene var mere med.",
            "campaign": "Aktørskab forår",
        },
    ),
    Cast(
        "en",
        "Social og Sundhed",
        "Team Grenaa",
        "Team Auning",
        ("susanne.leder", "Susanne Møller"),
        ("lone.ansat", "Lone Petersen"),
        ("bo.ansat", "Bo Kjær"),
        ("tina.ansat", "Tina Jørgensen"),
        ("maria.ansat", "Maria Holm"),
        {
            "named": "When we plan the routes ourselves in the morning",
            "anonymous": "When nobody is watching I cover for the others",
            "private": "I am tired of meetings about agency",
            "conclusion": "We plan the routes ourselves when it helps the citizens.",
            "action1": "Try self-planned routes for four weeks",
            "action2": "Tell the citizens about the new routes",
            "example_title": "The key box that saved the morning",
            "example_text": "Bo Kjær called the locksmith on 22 33 44 55 when the key box "
            "jammed and had it open within half an hour.",
            "outcome": "We tried it for four weeks; visits were calmer.",
            "campaign": "Agency spring",
        },
    ),
]


def tr(locale: str, danish: str) -> str:
    """A UI text as the page shows it in ``locale`` (source strings are Danish)."""
    return _ENGLISH.gettext(danish) if locale == "en" else danish


class Visits:
    """Checks every page a person lands on; collects the problems for one assertion at the end."""

    def __init__(self, locale: str):
        self.locale = locale
        self.problems: dict[str, list[str]] = {}
        self.count = 0

    def check(self, page) -> None:
        page.wait_for_load_state("load")
        self.count += 1
        problems = check_page(page, self.locale)
        if problems:
            path = re.sub(r"^https?://[^/]+", "", page.url)
            self.problems.setdefault(path, []).extend(problems)

    def report(self) -> str:
        return "\n".join(
            f"{path}\n  " + "\n  ".join(lines) for path, lines in self.problems.items()
        )


def shoot(cast: Cast, page, name: str) -> None:
    """The README's screenshots come from the Danish run."""
    if cast.locale == "da":
        screenshot(page, name)


def text_of(page) -> str:
    return page.locator("main").inner_text()


def submit(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state("load")


@pytest.mark.parametrize("cast", CASTS, ids=[c.locale for c in CASTS])
def test_the_whole_story(people, stack, cast: Cast):
    L, t, x = cast.locale, (lambda s: tr(cast.locale, s)), cast.texts
    visits = Visits(L)
    today = local_today()

    # --- HR starts a campaign for the area ---------------------------------------------------
    hr = people("hanne.hr", "Hanne Jensen", L)
    visits.check(hr.page)
    page = hr.go("/t/demo/campaigns/new")
    visits.check(page)
    page.get_by_label(t("Kampagnens navn"), exact=True).fill(x["campaign"])
    page.get_by_label(t("Opfølgning"), exact=True).fill((today + timedelta(days=60)).isoformat())
    page.get_by_label(cast.area, exact=True).check()
    submit(page, t("Vis, hvilke teams der får et forløb"))
    visits.check(page)
    plan = page.locator(".campaign-plan").inner_text()
    assert cast.team in plan and cast.other_team in plan and cast.leader[1] in plan
    submit(page, t("Start kampagnen"))
    visits.check(page)
    assert page.locator("h1").inner_text() == x["campaign"]
    campaign = text_of(page)
    assert cast.team in campaign and cast.other_team in campaign
    page.get_by_role("link", name=cast.team, exact=True).click()
    cycle_url = re.sub(r"^https?://[^/]+", "", page.url)
    cycle_id = int(cycle_url.rsplit("/", 1)[1])
    visits.check(page)
    # HR sees the phase, never the answers.
    assert page.get_by_role("link", name=t("Hold dialogmødet")).count() == 0

    # --- The team's leader opens the preparation: sets the meeting ---------------------------
    leader = people(*cast.leader, L)
    page = leader.page
    page.get_by_role("link", name=cast.team, exact=True).click()
    visits.check(page)
    assert page.url.endswith(cycle_url)
    page.get_by_role("link", name=t("Ret datoer, sted og ordstyrer")).click()
    visits.check(page)
    page.get_by_label(t("Dato"), exact=True).fill((today + timedelta(days=15)).isoformat())
    page.get_by_label(t("Klokkeslæt"), exact=True).fill("13:00")
    page.get_by_label(t("Sted"), exact=True).fill("Personalerummet")
    submit(page, t("Gem"))
    visits.check(page)
    assert "Personalerummet" in text_of(page)
    assert f"0 {'of' if L == 'en' else 'af'}" in text_of(page)

    # --- Three employees answer --------------------------------------------------------------
    prompts = contribute_with_keyboard(people, cast, cycle_url, visits)
    for who, visibility in ((cast.anonymous, "anonymous"), (cast.private, "private")):
        person = people(*who, L)
        page = person.page
        assert cast.team in text_of(page)
        page.get_by_role("link", name=t("Gå til spørgsmålene")).click()
        visits.check(page)
        page.locator(f"#answer-{prompts[0]}").fill(x[visibility])
        page.locator(f"#visibility-{prompts[0]}-{visibility}").check()
        submit(page, t("Gem mine svar"))
        visits.check(page)
        assert t("Dine svar er gemt. Du kan rette dem, indtil dialogmødet begynder.") in text_of(
            page
        )
        person.close()

    # --- Another team sees none of it ----------------------------------------------------------
    other = people(*cast.other, L)
    home = text_of(other.page)
    assert cast.other_team in home and cast.team not in home
    for path in (cycle_url, f"{cycle_url}/meeting", f"{cycle_url}/prepare"):
        reply = other.page.goto(stack.base_url + path)
        assert reply.status in (403, 404), path
        visits.check(other.page)

    # --- The leader holds the meeting -----------------------------------------------------------
    page = leader.go(cycle_url)
    assert f"3 {'of' if L == 'en' else 'af'}" in text_of(page)
    submit(page, t("Start dialogmødet"))
    # The confirmation spells out what cannot be undone; preparation still runs, so it is
    # shortened to today first.
    visits.check(page)
    assert t("Det kan ikke gøres om") in text_of(page)
    shorten = page.locator('input[name="shorten_preparation"]')
    if shorten.count():
        shorten.check()
    submit(page, t("Ja, start dialogmødet"))
    visits.check(page)
    page.get_by_role("link", name=t("Hold dialogmødet")).click()
    visits.check(page)
    meeting = text_of(page)
    assert x["named"] in meeting and cast.named[1] in meeting
    assert x["anonymous"] in meeting and t("Anonymt") in meeting
    assert cast.anonymous[1] not in page.content()  # the anonymous author: nowhere on the page
    assert x["private"] not in page.content()  # a private answer: never
    shoot(cast, page, "leader-meeting")
    page.locator(f"#conclusion-{prompts[0]}").fill(x["conclusion"])
    submit(page, t("Gem konklusionerne"))
    visits.check(page)
    assert t("Teamets konklusioner er gemt.") in text_of(page)

    page = leader.go(cycle_url)
    submit(page, t("Gå videre til aftaler"))
    visits.check(page)
    due = (today + timedelta(days=30)).isoformat()
    for text, owner in ((x["action1"], cast.named[1]), (x["action2"], cast.private[1])):
        page = leader.go(f"/t/demo/cycles/{cycle_id}/actions/new")
        visits.check(page)
        page.get_by_label(t("Hvad vil I gøre?"), exact=True).fill(text)
        page.get_by_label(t("Ansvarlig"), exact=True).select_option(label=owner)
        page.get_by_label(t("Frist"), exact=True).fill(due)
        submit(page, t("Gem handlingen"))
        visits.check(page)
        assert text in text_of(page)

    # --- An employee offers an example for sharing ---------------------------------------------
    named = people(*cast.named, L)
    page = named.page
    assert x["action1"] in text_of(page)  # her action, on her front page
    page.get_by_role("link", name=t("Skriv et eksempel")).click()
    visits.check(page)
    page.get_by_label(t("Et godt eksempel på aktørskab"), exact=True).check()
    page.get_by_label(t("Overskrift"), exact=True).fill(x["example_title"])
    page.get_by_label(t("Hvad skete der?"), exact=True).fill(x["example_text"])
    page.locator("#offer").check()
    submit(page, t("Gem eksemplet"))
    visits.check(page)
    assert x["example_title"] in text_of(page)

    # --- Follow-up: what happened ----------------------------------------------------------------
    page = leader.go(cycle_url)
    submit(page, t("Gå videre til opfølgning"))
    visits.check(page)
    page = named.go(f"/t/demo/cycles/{cycle_id}/actions")
    visits.check(page)
    page.get_by_role("row", name=re.compile(re.escape(x["action1"]))).get_by_role(
        "link", name=t("Skriv opfølgning")
    ).click()
    visits.check(page)
    page.get_by_label(t("Hvad skete der?"), exact=True).fill(x["outcome"])
    submit(page, t("Gem opfølgningen"))
    visits.check(page)
    assert x["outcome"] in text_of(named.go(f"/t/demo/cycles/{cycle_id}/actions"))
    shoot(cast, named.go("/t/demo/"), "employee-home")
    visits.check(named.page)

    # --- HR: the worker compiles the example; HR approves the redacted text ------------------
    page = hr.go("/t/demo/inspiration/review")
    visits.check(page)
    submit(page, t("Hent nye eksempler nu"))
    entry = page.get_by_role("link", name=x["example_title"])
    deadline = time.monotonic() + 60
    while not entry.count():
        assert time.monotonic() < deadline, stack.output()
        time.sleep(0.5)
        page.reload()
    visits.check(page)
    entry.click()
    visits.check(page)
    redacted = page.locator("#text").input_value()
    anonymous_first = cast.anonymous[1].split()[0]
    assert "[navn]" in redacted and "[telefon]" in redacted, redacted
    assert anonymous_first not in redacted and "22 33 44 55" not in redacted
    submit(page, t("Gem og godkend"))
    visits.check(page)

    # The other team reads it in the catalogue, without the name.
    page = other.go("/t/demo/inspiration/")
    visits.check(page)
    catalogue = text_of(page)
    assert x["example_title"] in catalogue and "[navn]" in catalogue
    # As a word: the name "Bo" may stand inside "Borgeren".
    assert not re.search(rf"\b{re.escape(anonymous_first)}\b", catalogue)
    assert cast.named[1] not in catalogue

    # --- HR's overview, then a Hovedudvalg report made by the worker ---------------------------
    page = hr.go("/t/demo/overview")
    visits.check(page)
    assert cast.area in text_of(page)
    shoot(cast, page, "hr-overview")
    page = hr.go("/t/demo/reports/")
    visits.check(page)
    submit(page, t("Dan rapport"))
    deadline = time.monotonic() + 120
    while t("Rapporten er klar.") not in text_of(page):
        assert time.monotonic() < deadline, stack.output()
        time.sleep(0.5)
        page.reload()
    visits.check(page)
    report_url = re.sub(r"^https?://[^/]+", "", page.url)

    hu = people("karen.hu", "Karen Mortensen", L)
    page = hu.go("/t/demo/reports/")
    visits.check(page)
    page.locator(f'a[href="{report_url}"]').first.click()
    visits.check(page)
    pdf_href = page.get_by_role("link", name=t("Hent PDF")).get_attribute("href")
    pdf = page.request.get(stack.base_url + pdf_href)
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    page.get_by_role("link", name=t("Vis som webside")).click()
    page.wait_for_load_state("load")
    visits.check(page)
    report = page.locator("body").inner_text()
    # k = 5: Teknik og Miljø (3 people) never shows as a unit of its own; no names anywhere.
    assert "Teknik og Miljø" not in report
    other_units = (
        _ENGLISH.gettext("Øvrige enheder under %(unit)s")
        if L == "en"
        else "Øvrige enheder under %(unit)s"
    )
    assert other_units % {"unit": "Demokommune"} in report  # where the small units went
    for name in (cast.named, cast.anonymous, cast.private, cast.leader, cast.other):
        assert name[1] not in report
    shoot(cast, page, "report")
    # The Hovedudvalg reads reports but not the team's answers.
    assert hu.page.goto(stack.base_url + f"{cycle_url}/meeting").status in (403, 404)

    assert not visits.problems, f"{len(visits.problems)} pages with problems:\n{visits.report()}"
    assert visits.count >= 30


def contribute_with_keyboard(people, cast: Cast, cycle_url: str, visits: Visits) -> list[int]:
    """The named employee answers with the keyboard alone: tab to each control (its focus
    visible), type, submit with Enter; a missing choice is reported at its field."""
    L, t = cast.locale, (lambda s: tr(cast.locale, s))
    person = people(*cast.named, L)
    page = person.page
    visits.check(page)
    focus_on(page, lambda el: el["text"] == t("Gå til spørgsmålene"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"{cycle_url}/prepare")
    visits.check(page)
    shoot(cast, page, "contribution-form")
    prompts = [
        int(i)
        for i in page.locator("textarea[id^=answer-]").evaluate_all(
            "els => els.map(e => e.id.split('-')[1])"
        )
    ]
    first, second = prompts[0], prompts[1]
    assert page.locator(f"label[for=answer-{first}]").count() == 1

    # Answer, forget to choose who may see it, submit with Enter: the error is at the field.
    focus_on(page, lambda el: el["id"] == f"answer-{first}")
    page.keyboard.type(cast.texts["named"])
    focus_on(page, lambda el: el["text"] == t("Gem mine svar"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    visits.check(page)
    group = page.locator(f"fieldset#visibility-{first}")
    described = group.get_attribute("aria-describedby") or ""
    assert f"visibility-{first}-error" in described.split()
    error = page.locator(f"#visibility-{first}-error").inner_text()
    assert t("Vælg, hvem der må se svaret.") in error
    radios = page.locator(f"input[name=visibility-{first}]")
    assert all(radios.nth(i).get_attribute("aria-invalid") == "true" for i in range(radios.count()))
    assert page.locator(f"#answer-{first}").input_value() == cast.texts["named"]
    assert page.get_by_role("alert").count() >= 1

    # Tab into the choice (the first radio), Arrow down to "named", then a second answer.
    focus_on(page, lambda el: el["id"] == f"visibility-{first}-private")
    page.keyboard.press("ArrowDown")
    assert page.locator(f"#visibility-{first}-named").is_checked()
    focus_on(page, lambda el: el["id"] == f"answer-{second}")
    page.keyboard.type("Når lederen siger: prøv det" if L == "da" else "When we are told: try it")
    focus_on(page, lambda el: el["id"] == f"visibility-{second}-private")
    page.keyboard.press("Space")
    focus_on(page, lambda el: el["text"] == t("Gem mine svar"))
    with page.expect_navigation():
        page.keyboard.press("Space")
    visits.check(page)
    assert t("Dine svar er gemt. Du kan rette dem, indtil dialogmødet begynder.") in text_of(page)
    assert page.locator(f"#visibility-{second}-private").is_checked()
    person.close()
    return prompts


FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {id: el.id || "", tag: el.tagName, text: (el.innerText || "").trim(),
          outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 1,
          shadow: style.boxShadow !== "none"};
}"""


def focus_on(page, wanted, limit: int = 80) -> None:
    """Press Tab until ``wanted(focused)``; every element on the way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = page.evaluate(FOCUSED)
        assert element["outline"] or element["shadow"], f"focus not visible on {element}"
        if wanted(element):
            return
    raise AssertionError("never reached the wanted element with Tab")


def test_the_checks_see_what_they_must(browser):
    """axe-core and the reflow check do find problems: a page without lang, alt text or labels,
    wider than a phone."""
    page = browser.new_page()
    try:
        page.set_content(
            '<html><body><main><h1>x</h1><img src="data:,">'
            '<input type="text"><div class="w"></div></main></body></html>'
        )
        page.add_style_tag(content=".w { width: 900px; height: 1px; }")
        found = " ".join(check_page(page, "da"))
        for rule in ("html-has-lang", "image-alt", "label", "sideways at 320px"):
            assert rule in found, found
    finally:
        page.close()
