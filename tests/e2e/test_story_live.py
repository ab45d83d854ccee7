"""The live meeting in real browsers (issue 22), after the story: Camilla facilitates
Vuggestuen Mælkebøtten's meeting on the shared screen, Emma, Freja and Oliver each join from
their own browser (Oliver on a phone). An anonymous thought, a grouping, a vote, two actions
from the top cards; every view converges within 2 s; every page axe clean.

It uses the team's open cycle when the story's campaign gave it one, or starts one.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.e2e.checks import check_page

pytestmark = pytest.mark.e2e

TEAM = "Vuggestuen Mælkebøtten"
CONVERGE_MS = 2000


def board(person):
    return person.page.locator("#live-board")


def card_of(person, text: str):
    """The card whose own text is ``text`` (the merge lists name other cards too)."""
    return board(person).locator(".live-card").filter(
        has=person.page.locator(".answer-text", has_text=text))


def test_a_live_meeting_with_a_facilitator_and_three_participants(people, stack):
    problems: list[str] = []

    def check(page):
        page.wait_for_load_state("load")
        problems.extend(f"{page.url}: {p}" for p in check_page(page, "da"))

    camilla = people("camilla.leder", "Camilla Poulsen", "da")
    page = camilla.page
    link = page.get_by_role("link", name=TEAM, exact=True)
    if link.count():
        link.first.click()
    if not re.search(r"/cycles/\d+$", page.url):
        page = camilla.go("/t/demo/cycles/new")
        page.locator("#unit_id").select_option(label=TEAM)
        page.locator("#preparation_starts_on").fill(date.today().isoformat())
        page.locator("#preparation_ends_on").fill((date.today() + timedelta(days=7)).isoformat())
        page.get_by_role("button", name="Start forløbet", exact=True).click()
        page.wait_for_url(re.compile(r".*/cycles/\d+$"))
    cycle_url = re.sub(r"^https?://[^/]+", "", page.url)
    if page.get_by_role("button", name="Start dialogmødet").count():
        page.get_by_role("button", name="Start dialogmødet").click()
        page.wait_for_load_state("load")
        # The confirmation of what cannot be undone; preparation still runs, so shorten it.
        shorten = page.locator('input[name="shorten_preparation"]')
        if shorten.count():
            shorten.check()
        page.get_by_role("button", name="Ja, start dialogmødet").click()
        page.wait_for_url(re.compile(r".*/cycles/\d+$"))
    page.get_by_role("link", name="Mødet live").click()
    check(page)
    page.get_by_role("button", name="Start mødet", exact=True).click()
    page.wait_for_url(f"**{cycle_url}/live/present")
    check(page)

    # Three participants, each in their own browser; Oliver's is a phone.
    emma = people("emma.ansat", "Emma Madsen", "da")
    freja = people("freja.ansat", "Freja Kristensen", "da")
    oliver = people("oliver.ansat", "Oliver Olsen", "da")
    oliver.page.set_viewport_size({"width": 320, "height": 700})
    members = (emma, freja, oliver)
    for person in members:
        person.go(f"{cycle_url}/live")
        check(person.page)
    everyone = (camilla, *members)

    def converge(text: str) -> None:
        for person in everyone:
            board(person).locator(f"text={text} >> visible=true").first.wait_for(
                timeout=CONVERGE_MS)

    # Thoughts: Emma's anonymous, Freja's and Oliver's named; each on every view within 2 s.
    for person, text, how in ((emma, "Vi hjælper hinanden, når nogen er syge", "anonymous"),
                              (freja, "Vi bytter vagter selv", "named"),
                              (oliver, "Vi bytter selv vagter i teamet", "named")):
        person.page.locator("#text").fill(text)
        person.page.locator(f"#visibility-{how}").check()
        person.page.get_by_role("button", name="Del tanken").click()
        converge(text)
    card = card_of(camilla, "Vi hjælper hinanden")
    assert "Emma" not in card.inner_text() and "Anonymt" in card.inner_text()

    # Camilla groups Oliver's card into Freja's with the keyboard form.
    olivers = card_of(camilla, "Vi bytter selv vagter i teamet")
    olivers.locator("select").select_option(label="Vi bytter vagter selv")
    olivers.get_by_role("button", name="Gruppér").click()
    for person in everyone:
        board(person).locator(".live-card").nth(2).wait_for(state="detached",
                                                           timeout=CONVERGE_MS)
        assert board(person).locator(".live-grouped", has_text="Vi bytter selv vagter").count()

    # The vote: two votes each, all on the grouped card but Emma's second.
    votes = board(camilla).get_by_label("Stemmer pr. deltager")
    votes.fill("2")
    board(camilla).get_by_role("button", name="Åbn afstemningen").click()
    for person in members:
        board(person).get_by_role("button", name="Stem på kortet").first.wait_for(
            timeout=CONVERGE_MS)
    for person, targets in ((emma, ("Vi bytter vagter selv", "Vi hjælper hinanden")),
                            (freja, ("Vi bytter vagter selv", "Vi bytter vagter selv")),
                            (oliver, ("Vi bytter vagter selv", "Vi hjælper hinanden"))):
        for n, target in enumerate(targets):
            item = card_of(person, target)
            item.get_by_role("button", name="Stem på kortet").click()
            board(person).get_by_text(f"Du har {1 - n} stemmer tilbage.").wait_for(
                timeout=CONVERGE_MS)
    board(camilla).get_by_role("button", name="Luk afstemningen").click()
    converge("Flest stemmer")
    top = board(camilla).locator(".live-top li")
    assert "Vi bytter vagter selv (4 stemmer)" in top.nth(0).inner_text()
    assert "Vi hjælper hinanden, når nogen er syge (2 stemmer)" in top.nth(1).inner_text()
    check(camilla.page)
    check(oliver.page)

    # Two actions from the top cards, edited in place.
    due = (date.today() + timedelta(days=30)).isoformat()
    for text, owner in (("Vi bytter vagter selv", "Freja Kristensen"),
                        ("Vi hjælper hinanden", "Emma Madsen")):
        before = board(camilla).locator(".live-action").count()
        item = card_of(camilla, text)
        item.get_by_role("button", name="Gør til handling").click()
        action = board(camilla).locator(".live-action").nth(before)
        action.wait_for(timeout=CONVERGE_MS)
        action.locator("select[name=owner_id]").select_option(label=owner)
        action.locator("input[name=due_on]").fill(due)
        action.locator("select[name=kkc]").select_option("commitment")
        action.get_by_role("button", name="Gem handlingen").click()
        camilla.page.wait_for_timeout(300)
    for person in members:
        board(person).locator(".live-action").nth(1).wait_for(timeout=CONVERGE_MS)
    check(camilla.page)

    # The end: confirmed, and the cycle's pages hold the actions.
    board(camilla).get_by_label("Ja, afslut mødet og gå videre til aftalerne").check()
    with camilla.page.expect_navigation():
        board(camilla).get_by_role("button", name="Afslut mødet").click()
    for person in members:
        board(person).get_by_text("Mødet er afsluttet.").wait_for(timeout=CONVERGE_MS)
    page = camilla.go(f"{cycle_url}/actions")
    text = page.locator("main").inner_text()
    assert "Vi bytter vagter selv" in text and "Vi hjælper hinanden" in text
    check(page)
    assert problems == [], "\n".join(problems)
