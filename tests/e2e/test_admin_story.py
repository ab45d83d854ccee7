"""The admin's and the channels' part of the story (issue 19's "Done when"), in Danish.

Birgitte, the tenant's admin, reaches the administration from the main menu and every section
from there; she gives Team Park a Teams channel (the address of a loopback Workflows receiver,
``tests/teams/receiver.py``, typed into the Teams page). Kim, Team Park's leader, starts a
cycle from the menu and sets its meeting: the reminders worker of the stack mails the
invitation with its .ics to the dev inbox (maildump, as ``make run`` starts it) and posts the
cards to the channel. The inbox's own web page shows the invitation and its calendar file; the
receiver got schema-valid Adaptive Cards. Birgitte then filters the audit log by person, event
and day, and downloads it as CSV and XLSX: Danish letters intact, times as Copenhagen times
(real dates in Excel). Every page of ours passes axe-core and the layout checks.

The story's other paths are walked elsewhere: a confirmed phase move (``test_story.py``:
"Ja, start dialogmødet"), a phone-width table read by its labels (``test_phone_tables.py``).
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from tests.e2e.checks import check_page
from tests.teams.receiver import running_receiver
from web.models import today as local_today

pytestmark = pytest.mark.e2e

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
TEAM = "Team Park"
MEMBER_ADDRESS = "soren.friis@demo.aktorskab.dk"
INVITATION = "Invitation: dialogmøde om aktørskab"


def menu_link(page, name: str):
    return page.get_by_role("navigation", name="Hovedmenu").get_by_role(
        "link", name=name, exact=True
    )


def click_and_load(locator) -> None:
    locator.click()
    locator.page.wait_for_load_state("load")


def wait_until(condition, timeout: float, what: str, stack) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} after {timeout}s\n{stack.output()}"
        time.sleep(0.5)


def test_admin_channels_inbox_and_audit_log(people, stack):
    problems: list[str] = []

    def check(page) -> None:
        page.wait_for_load_state("load")
        problems.extend(f"{page.url}: {p}" for p in check_page(page, "da"))

    with running_receiver() as receiver:
        # --- The admin: the administration from the menu, then a channel for Team Park --------
        admin = people("birgitte.admin", "Birgitte Holm", "da")
        page = admin.page
        click_and_load(menu_link(page, "Administration"))
        check(page)
        assert page.locator("h1").inner_text() == "Administration"
        sections = page.locator(".admin-sections h2 a")
        for name in ("Revisionslog", "Microsoft Teams", "Påmindelser der ikke kunne sendes"):
            assert sections.get_by_text(name, exact=True).count() == 1, name
        # Every section opens for her, and leads back to the administration.
        for href in sections.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
            admin.go(href)
            check(page)
            assert page.get_by_role("link", name="Administration").count() >= 1, href
        admin.go("/t/demo/admin/")
        click_and_load(page.get_by_role("link", name="Microsoft Teams", exact=True))
        choice = page.get_by_label("Enhed", exact=True)
        # The admin's unit choices are labelled by their path ("… / Vej og Park / Team Park").
        paths = choice.locator("option").all_inner_texts()
        choice.select_option(label=next(p for p in paths if p.endswith(f"/ {TEAM}")))
        page.get_by_label("Adresse til enhedens kanal", exact=True).fill(receiver.url)
        click_and_load(page.get_by_role("button", name="Gem enhedens kanal", exact=True))
        check(page)
        assert f"Teams-kanalen for {TEAM} er gemt." in page.inner_text("main")
        assert "127.0.0.1" in page.locator("table").inner_text()

        # --- The leader starts a cycle from the menu and sets its meeting -------------------
        kim = people("kim.leder", "Kim Jakobsen", "da")
        page = kim.page
        click_and_load(menu_link(page, "Start forløb"))
        check(page)
        today = local_today()
        page.locator("#unit_id").select_option(label=TEAM)
        page.locator("#preparation_starts_on").fill(today.isoformat())
        page.locator("#preparation_ends_on").fill((today + timedelta(days=7)).isoformat())
        page.get_by_role("button", name="Start forløbet", exact=True).click()
        page.wait_for_url(re.compile(r".*/cycles/\d+$"))
        check(page)
        click_and_load(page.get_by_role("link", name="Ret datoer, sted og ordstyrer"))
        check(page)
        page.get_by_label("Dato", exact=True).fill((today + timedelta(days=10)).isoformat())
        page.get_by_label("Klokkeslæt", exact=True).fill("13:00")
        page.get_by_label("Sted", exact=True).fill("Materielgården")
        click_and_load(page.get_by_role("button", name="Gem", exact=True))
        check(page)
        assert "Materielgården" in page.inner_text("main")

        # --- A Teams card received: schema-valid, about the team, nothing about a person -------
        wait_until(
            lambda: any("Materielgården" in text for text in receiver.texts()),
            120,
            "Teams card about the meeting",
            stack,
        )
        assert receiver.invalid == [], receiver.invalid
        assert all(card["type"] == "AdaptiveCard" for card in receiver.cards)
        texts = " ".join(receiver.texts())
        assert TEAM in texts and "Søren Friis" not in texts

    # --- The dev inbox: maildump's own page shows the invitation with its .ics --------------
    inbox = kim.page.context.new_page()
    inbox.goto(stack.inbox_url + "/")
    row = inbox.locator("#messages tr", has_text=INVITATION).filter(has_text=MEMBER_ADDRESS)
    deadline = time.monotonic() + 120
    while not row.count():
        assert time.monotonic() < deadline, f"no invitation in the inbox\n{stack.output()}"
        time.sleep(1)
        inbox.reload()
    row.first.click()
    attachments = inbox.locator("#message-metadata dd.attachments a")
    attachments.first.wait_for()
    assert attachments.first.inner_text() == "dialogmoede.ics"
    assert INVITATION in inbox.locator("#message-metadata dd.subject").inner_text()
    ics = inbox.request.get(
        stack.inbox_url + attachments.first.get_attribute("href").lstrip(".")
    ).text()
    assert "BEGIN:VCALENDAR" in ics and "METHOD:REQUEST" in ics and "BEGIN:VEVENT" in ics
    assert "Materielgården" in ics.replace("\r\n ", "")
    inbox.close()

    # --- The audit log, filtered by person, event and day; exported and opened -------------
    page = admin.go("/t/demo/admin/")
    click_and_load(page.get_by_role("link", name="Revisionslog", exact=True))
    check(page)
    day = datetime.now(COPENHAGEN).date().isoformat()
    page.get_by_label("Person", exact=True).select_option(label="Birgitte Holm")
    page.get_by_label("Hændelse", exact=True).select_option(label="Teams-kanal gemt")
    page.get_by_label("Fra og med dag", exact=True).fill(day)
    page.get_by_label("Til og med dag", exact=True).fill(day)
    click_and_load(page.get_by_role("button", name="Vis", exact=True))
    check(page)
    rows = page.locator("table.audit-table tbody tr")
    assert rows.count() == 1, page.inner_text("main")
    shown = rows.first.inner_text()
    assert "Teams-kanal gemt" in shown and "Birgitte Holm" in shown
    assert f"Kanal for {TEAM} via 127.0.0.1." in shown

    with page.expect_download() as download:
        page.get_by_role("button", name="Hent som CSV", exact=True).click()
    assert download.value.suggested_filename.endswith(".csv")
    text = Path(download.value.path()).read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")  # Excel opens UTF-8 with its byte-order mark
    table = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert table[0] == ["Tidspunkt", "Hændelse", "Hvem", "Detaljer", "Fra", "Hændelseskode"]
    assert len(table) == 2, table
    when, event, who, details, _ip, code = table[1]
    assert (event, who, code) == ("Teams-kanal gemt", "Birgitte Holm", "teams.webhook_set")
    assert details == f"Kanal for {TEAM} via 127.0.0.1."
    moment = datetime.fromisoformat(when)  # Copenhagen wall-clock time, to the second
    now = datetime.now(COPENHAGEN).replace(tzinfo=None)
    assert timedelta(0) <= now - moment < timedelta(minutes=15), (when, now)

    with page.expect_download() as download:
        page.get_by_role("button", name="Hent som Excel (XLSX)", exact=True).click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert sheet.title == "Revisionslog"
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == table[0]
    # A real Excel date, the same Copenhagen time (the CSV shows it to the second).
    assert isinstance(values[1][0], datetime) and values[1][0].replace(microsecond=0) == moment
    assert values[1][1:4] == ["Teams-kanal gemt", "Birgitte Holm", details]

    # The channel goes again (the later stories' cycles of Team Park post nowhere).
    page = admin.go("/t/demo/admin/teams/")
    click_and_load(page.get_by_role("button", name=f"Fjern kanalen for {TEAM}", exact=True))
    check(page)
    assert "Ingen enhed har sin egen kanal." in page.inner_text("main")

    assert not problems, "\n".join(problems)
