"""Issue 13 in a real browser: HR's review page shows the possible findings (a lone first name, a
citizen's name) and refuses "Gem og godkend" until HR decided each; every page passes axe-core
(WCAG 2.1 A/AA), has the page's language and reflows (tests/e2e/checks.py)."""

from __future__ import annotations

import time

import pytest

from tests.e2e.checks import check_page

pytestmark = pytest.mark.e2e

TITLE = "Borgeren der fandt vej"
TEXT = "Ida og Sofie hjalp borgeren Karen Blixen med at finde vej til ældrecentret."


def _submit(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state("load")


def test_the_review_page_blocks_approval_until_possible_findings_are_decided(people, stack):
    problems: dict[str, list[str]] = {}

    def check(page) -> None:
        page.wait_for_load_state("load")
        found = check_page(page, "da")
        if found:
            problems.setdefault(page.url, []).extend(found)

    author = people("peter.ansat", "Peter Hansen", "da")
    page = author.go("/t/demo/examples/new")
    check(page)
    page.get_by_label("Et godt eksempel på aktørskab", exact=True).check()
    page.get_by_label("Overskrift", exact=True).fill(TITLE)
    page.get_by_label("Hvad skete der?", exact=True).fill(TEXT)
    page.locator("#offer").check()
    _submit(page, "Gem eksemplet")

    hr = people("hanne.hr", "Hanne Jensen", "da")
    page = hr.go("/t/demo/inspiration/review")
    _submit(page, "Hent nye eksempler nu")
    entry = page.get_by_role("link", name=TITLE)
    deadline = time.monotonic() + 60
    while not entry.count():
        assert time.monotonic() < deadline, stack.output()
        time.sleep(0.5)
        page.reload()
    entry.first.click()
    check(page)
    fieldset = page.get_by_role("group", name="Mulige personoplysninger")
    shown = fieldset.inner_text()
    for phrase in ("Ida", "Sofie", "Karen Blixen"):
        assert phrase in shown, shown
    assert page.locator("#text").input_value() == TEXT  # possible: not replaced on its own

    _submit(page, "Gem og godkend")  # nothing decided: refused, nothing changed
    check(page)
    assert "Afgør for hver mulig personoplysning" in page.locator("main").inner_text()

    for n in range(1, 4):
        page.locator(f"#pf-{n}-redact").check()
    _submit(page, "Gem og godkend")
    check(page)
    assert (
        "Eksemplet er godkendt og offentliggjort i kataloget." in page.locator("main").inner_text()
    )

    page = author.go("/t/demo/inspiration/")
    check(page)
    catalogue = page.locator("main").inner_text()
    assert TITLE in catalogue and "[navn] og [navn] hjalp borgeren [navn]" in catalogue
    assert "Karen Blixen" not in catalogue and "Sofie" not in catalogue
    assert problems == {}, problems
