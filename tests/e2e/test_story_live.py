"""The live meeting in real browsers (issue 22), after the story, in Danish and in English.

Danish: Camilla facilitates Vuggestuen Mælkebøtten's meeting on the shared screen; Emma, Freja
and Oliver each join from their own browser (Oliver on a 320 px phone). English (the session's
language switch, every label read from the English catalogue): Jens facilitates Team Auning's
meeting; Maria and Ole, the team's two members, join. An anonymous thought, a grouping, a vote,
two actions from the top cards; every view converges within 2 s; every page axe clean, the
presenter and participant views at 320 px and on the desktop.

The facilitator groups, opens and closes the vote and makes and edits the actions with the
keyboard alone (Tab, arrow keys, typing, Enter), and one member votes with it; after each
change the focus stays where the keyboard was (or on the cards' heading when its card went).
The screen reader's announcements (``aria-live``) of a new card, of the closed vote with its
top card, and of the votes left are read from the live region.

It uses the team's open cycle when the story's campaign gave it one, or starts one.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import timedelta

import pytest
from babel.support import Translations

from tests.e2e.checks import check_page
from tests.services import ROOT
from web.models import today as local_today

pytestmark = pytest.mark.e2e

CONVERGE_MS = 2000
_ENGLISH = Translations.load(str(ROOT / "translations"), ["en"])


@dataclass(frozen=True)
class Cast:
    locale: str
    team: str
    facilitator: tuple[str, str]
    members: tuple[tuple[str, str], ...]  # the last one is on a 320 px phone
    anonymous: str  # the first member's thought, shared anonymously
    named: str  # the second member's
    similar: str  # the last member's, grouped into ``named``


CASTS = [
    Cast(
        "da",
        "Vuggestuen Mælkebøtten",
        ("camilla.leder", "Camilla Poulsen"),
        (
            ("emma.ansat", "Emma Madsen"),
            ("freja.ansat", "Freja Kristensen"),
            ("oliver.ansat", "Oliver Olsen"),
        ),
        "Vi hjælper hinanden, når nogen er syge",
        "Vi bytter vagter selv",
        "Vi bytter selv vagter i teamet",
    ),
    Cast(
        "en",
        "Team Auning",
        ("jens.leder", "Jens Knudsen"),
        (("maria.ansat", "Maria Holm"), ("ole.ansat", "Ole Schmidt")),
        "We help each other when someone is ill",
        "We swap shifts ourselves",
        "We swap the shifts ourselves in the team",
    ),
]


def tr(locale: str, danish: str, **values) -> str:
    text = _ENGLISH.gettext(danish) if locale == "en" else danish
    return text % values if values else text


def board(person):
    return person.page.locator("#live-board")


def card_of(person, text: str):
    """The card whose own text is ``text`` (the merge lists name other cards too)."""
    return (
        board(person)
        .locator(".live-card")
        .filter(has=person.page.locator(".answer-text", has_text=text))
    )


def focused(page, target) -> bool:
    return target.evaluate("el => el === document.activeElement")


def tab_to(page, target, limit: int = 400) -> None:
    """Press Tab until ``target`` has the focus: it is reachable with the keyboard alone."""
    target.wait_for(timeout=CONVERGE_MS)
    for _ in range(limit):
        if focused(page, target):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"never reached with Tab: {target}")


def choose_with_keys(page, select, label: str) -> None:
    """A focused <select> changed with the arrow keys until it shows ``label``."""
    wanted = select.locator("option", has_text=label).first.get_attribute("value")
    page.keyboard.press("Home")
    for _ in range(60):
        if select.input_value() == wanted:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{label!r} not reached with the arrow keys")


def announced(person, *parts: str) -> None:
    """The live region (aria-live) says all of ``parts`` within 2 s."""
    region = person.page.locator("#live-announce")
    for part in parts:
        person.page.wait_for_function(
            "([el, text]) => el.textContent.includes(text)",
            arg=[region.element_handle(), part],
            timeout=CONVERGE_MS,
        )


@pytest.mark.parametrize("cast", CASTS, ids=[c.locale for c in CASTS])
def test_a_live_meeting_with_a_facilitator_and_participants(people, stack, cast: Cast):
    L = cast.locale
    problems: list[str] = []

    def check(page, *, narrow_too: bool = False):
        page.wait_for_load_state("load")
        problems.extend(f"{page.url}: {p}" for p in check_page(page, L))
        if narrow_too:  # axe (contrast included) on the 320 px layout as well
            size = page.viewport_size
            page.set_viewport_size({"width": 320, "height": size["height"]})
            try:
                problems.extend(f"{page.url} at 320 px: {p}" for p in check_page(page, L))
            finally:
                page.set_viewport_size(size)

    lead = people(*cast.facilitator, L)
    page = lead.page
    link = page.get_by_role("link", name=cast.team, exact=True)
    if link.count():
        link.first.click()
    if not re.search(r"/cycles/\d+$", page.url):
        page = lead.go("/t/demo/cycles/new")
        page.locator("#unit_id").select_option(label=cast.team)
        page.locator("#preparation_starts_on").fill(local_today().isoformat())
        page.locator("#preparation_ends_on").fill((local_today() + timedelta(days=7)).isoformat())
        page.get_by_role("button", name=tr(L, "Start forløbet"), exact=True).click()
        page.wait_for_url(re.compile(r".*/cycles/\d+$"))
    cycle_url = re.sub(r"^https?://[^/]+", "", page.url)
    if page.get_by_role("button", name=tr(L, "Start dialogmødet")).count():
        page.get_by_role("button", name=tr(L, "Start dialogmødet")).click()
        page.wait_for_load_state("load")
        # The confirmation of what cannot be undone; preparation still runs, so shorten it.
        shorten = page.locator('input[name="shorten_preparation"]')
        if shorten.count():
            shorten.check()
        page.get_by_role("button", name=tr(L, "Ja, start dialogmødet")).click()
        page.wait_for_url(re.compile(r".*/cycles/\d+$"))
    page.get_by_role("link", name=tr(L, "Mødet live")).click()
    check(page)
    page.get_by_role("button", name=tr(L, "Start mødet"), exact=True).click()
    page.wait_for_url(f"**{cycle_url}/live/present")
    check(page, narrow_too=True)

    # Polls of an unchanged meeting are answered 304 (the poll ticket), and none fails.
    polls: list[int] = []
    page.on("response", lambda r: polls.append(r.status) if r.url.endswith("/live/state") else None)

    members = [people(*who, L) for who in cast.members]
    members[-1].page.set_viewport_size({"width": 320, "height": 700})
    for n, person in enumerate(members):
        person.go(f"{cycle_url}/live")
        join = board(person).get_by_role("button", name=tr(L, "Jeg er med"))
        if n == 0:  # with the keyboard
            tab_to(person.page, join)
            person.page.keyboard.press("Enter")
        else:
            join.click()
        join.wait_for(state="detached", timeout=CONVERGE_MS)
        check(person.page, narrow_too=n == 0)
    everyone = (lead, *members)

    def converge(text: str) -> None:
        for person in everyone:
            board(person).locator(f"text={text} >> visible=true").first.wait_for(
                timeout=CONVERGE_MS
            )

    # Thoughts: the first member's anonymous, the others' named; on every view within 2 s,
    # and the screen reader hears of each new card.
    thoughts = [
        (members[0], cast.anonymous, "anonymous"),
        (members[1], cast.named, "named"),
        (members[-1], cast.similar, "named"),
    ]
    if len(members) == 2:  # the second member shares two thoughts
        thoughts[2] = (members[1], cast.similar, "named")
    for person, text, how in thoughts:
        person.page.locator("#text").fill(text)
        person.page.locator(f"#visibility-{how}").check()
        person.page.get_by_role("button", name=tr(L, "Del tanken")).click()
        converge(text)
        announced(lead, tr(L, "Nyt kort på tavlen."))
    card = card_of(lead, cast.anonymous)
    assert cast.members[0][1].split()[0] not in card.inner_text()
    assert tr(L, "Anonymt") in card.inner_text()

    # The facilitator groups the similar card into the named one, with the keyboard alone.
    similar = card_of(lead, cast.similar)
    into = similar.locator("select")
    tab_to(page, into)
    choose_with_keys(page, into, cast.named)
    page.keyboard.press("Tab")
    assert focused(page, similar.get_by_role("button", name=tr(L, "Gruppér")))
    page.keyboard.press("Enter")
    for person in everyone:
        board(person).locator(".live-card").nth(2).wait_for(state="detached", timeout=CONVERGE_MS)
        assert board(person).locator(".live-grouped", has_text=cast.similar).count()
    # Its card went: the focus is on the cards' heading, not lost to the top of the page.
    page.wait_for_function(
        "document.activeElement.id === 'live-cards-heading'", timeout=CONVERGE_MS
    )

    # The vote, opened with the keyboard: two votes each.
    votes = board(lead).get_by_label(tr(L, "Stemmer pr. deltager"))
    tab_to(page, votes)
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    for person in members:
        board(person).get_by_role("button", name=tr(L, "Stem på kortet")).first.wait_for(
            timeout=CONVERGE_MS
        )
    plan = {
        0: (cast.named, cast.anonymous),
        1: (cast.named, cast.named),
        2: (cast.named, cast.anonymous),
    }
    for n, person in enumerate(members):
        for k, target in enumerate(plan[n]):
            button = card_of(person, target).get_by_role("button", name=tr(L, "Stem på kortet"))
            left = tr(L, "Du har %(count)s stemmer tilbage.", count=1 - k)
            if n == 0:  # the first member votes with the keyboard
                tab_to(person.page, button)
                person.page.keyboard.press("Enter")
                board(person).get_by_text(left).wait_for(timeout=CONVERGE_MS)
                announced(person, left)
                if k == 0:  # the focus stays on the button just used
                    person.page.wait_for_function(
                        "(t) => document.activeElement.textContent.trim() === t",
                        arg=tr(L, "Stem på kortet"),
                        timeout=CONVERGE_MS,
                    )
            else:
                button.click()
                board(person).get_by_text(left).wait_for(timeout=CONVERGE_MS)
    # No total shows while the vote runs: the room cannot watch a colleague's choice.
    assert not board(lead).locator(".live-votes").count()
    close = board(lead).get_by_role("button", name=tr(L, "Luk afstemningen"))
    tab_to(page, close)
    page.keyboard.press("Enter")
    converge(tr(L, "Flest stemmer"))
    on_named = 1 + 2 + (1 if len(members) == 3 else 0)
    top = board(lead).locator(".live-top li")
    assert f"{cast.named} ({tr(L, '%(count)s stemmer', count=on_named)})" in top.nth(0).inner_text()
    for person in everyone:
        announced(
            person,
            tr(L, "Afstemningen er lukket. Kortene med flest stemmer står øverst."),
            tr(L, "Flest stemmer:"),
            cast.named,
        )
    check(page, narrow_too=True)
    check(members[-1].page)
    no_row_links_a_person(stack, cast)

    # Two actions from the top cards, made and edited with the keyboard alone.
    # Typed into the date field digit by digit: the field's order of day and month follows the
    # browser's own locale, so a date whose day and month are the same reads the same in both.
    due = next(
        d for d in (local_today() + timedelta(days=n) for n in range(1, 400)) if d.day == d.month
    )
    owners = [cast.members[1][1], cast.members[0][1]]
    for text, owner in zip((cast.named, cast.anonymous), owners, strict=True):
        before = board(lead).locator(".live-action").count()
        make = card_of(lead, text).get_by_role("button", name=tr(L, "Gør til handling"))
        tab_to(page, make)
        page.keyboard.press("Enter")
        action = board(lead).locator(".live-action").nth(before)
        action.wait_for(timeout=CONVERGE_MS)
        assert focused(
            page, card_of(lead, text).get_by_role("button", name=tr(L, "Gør til handling"))
        )
        owner_select = action.locator("select[name=owner_id]")
        tab_to(page, owner_select)
        choose_with_keys(page, owner_select, owner)
        page.keyboard.press("Tab")
        assert focused(page, action.locator("input[name=due_on]"))
        page.keyboard.type(due.strftime("%d%m%Y"))
        kkc = action.locator("select[name=kkc]")
        tab_to(page, kkc)  # past the date's day, month and year and the expectation
        choose_with_keys(page, kkc, kkc.locator("option").nth(2).inner_text())
        save = action.get_by_role("button", name=tr(L, "Gem handlingen"))
        tab_to(page, save)
        page.keyboard.press("Enter")
        page.wait_for_function(
            "(t) => document.activeElement.textContent.trim() === t",
            arg=tr(L, "Gem handlingen"),
            timeout=CONVERGE_MS,
        )
        assert (
            board(lead)
            .locator(".live-action")
            .nth(before)
            .locator("input[name=due_on]")
            .input_value()
            == due.isoformat()
        )
    for person in members:
        board(person).locator(".live-action").nth(1).wait_for(timeout=CONVERGE_MS)
    check(page)
    assert polls and 304 in polls and all(s in (200, 304) for s in polls), polls

    # The end: confirmed, and the cycle's pages hold the actions.
    board(lead).get_by_label(tr(L, "Ja, afslut mødet og gå videre til aftalerne")).check()
    with page.expect_navigation():
        board(lead).get_by_role("button", name=tr(L, "Afslut mødet")).click()
    ended = tr(L, "Mødet er afsluttet. %(count)s deltog.", count=len(members))
    for person in members:
        board(person).get_by_text(ended).wait_for(timeout=CONVERGE_MS)
    page = lead.go(f"{cycle_url}/actions")
    text = page.locator("main").inner_text()
    assert cast.named in text and cast.anonymous in text
    check(page)
    assert problems == [], "\n".join(problems)


def no_row_links_a_person(stack, cast: Cast) -> None:
    """What the database itself holds once the vote closed (the stack's SQLite file, read
    only): no table can join a person to a card, and no row that holds the anonymous thought
    names its author."""
    path = f"{stack.env['INSTANCE_PATH']}/aktorskab.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            refers = {r[2] for r in db.execute(f"PRAGMA foreign_key_list('{table}')")}
            assert not {"users", "live_cards"} <= refers, table
        subject, name = cast.members[0]
        author = db.execute(
            "SELECT id, email FROM users WHERE display_name = ?", (name,)
        ).fetchone()
        marks = {name, subject, *([author[1]] if author and author[1] else [])}
        holding = 0
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                values = [str(v) for v in row if v is not None]
                if any(cast.anonymous in v for v in values):
                    holding += 1
                    named = [v for v in values if v in marks or name in v]
                    assert not named, (table, named)
        assert holding, "the anonymous thought is stored somewhere"
        cards = db.execute(
            "SELECT author_name, votes FROM live_cards WHERE text = ?", (cast.anonymous,)
        ).fetchall()
        assert cards and all(author_name is None for author_name, _votes in cards)
