"""Issue 21 in a real browser: HR computes the themes of the catalogue, renames one, splits one
in two and merges two; an employee searches by meaning and opens the similar examples; an
English-speaking employee does the same in English. Every page passes axe-core (WCAG 2.1 A/AA),
has the page's language and reflows (tests/e2e/checks.py).

The entries (three known themes of the labelled set, eight each, from the demo's units) are
written and approved through the services in a child process on the stack's own database, and
the embedding task queued as HR's review view queues it; the stack's worker embeds them.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.e2e.checks import check_page
from tests.services import ROOT, die_with_parent, marked_env
from web.models import today as local_today

pytestmark = pytest.mark.e2e

SEED = """
from datetime import UTC, datetime
from sqlalchemy import select
from web import create_app
from web.collections.compilation import compile_collection
from web.collections.models import CollectionEntry, EntryStatus
from web.collections.services import approve_entry
from web.examples.models import Example, ExampleKind
from web.extensions import db
from web.orgs.models import OrgUnit
from web.tasking import enqueue_after_commit
from web.tenancy import tenant_scope
from web.themes.tasks import embed_entry
from web.tenants.services import get_by_slug
from web.users.models import User
from tests.themes.labelled import entries

app = create_app()
with app.app_context():
    tenant = get_by_slug("demo")
    with tenant_scope(tenant.id):
        units = list(db.session.scalars(select(OrgUnit).order_by(OrgUnit.id)))
        chosen = [e for key in ("vagtplan", "tidspunkt", "moeder")
                  for e in [e for e in entries() if e.theme == key][:8]]
        for n, item in enumerate(chosen):
            db.session.add(Example(unit_id=units[n % len(units)].id, author_id=None,
                                   kind=ExampleKind(item.kind), title=item.title,
                                   text=item.text, lesson=item.lesson,
                                   offered_at=datetime.now(UTC)))
        db.session.flush()
        compile_collection()
        hr = db.session.scalar(select(User).where(User.subject == "hanne.hr"))
        for entry in db.session.scalars(select(CollectionEntry).where(
                CollectionEntry.status == EntryStatus.PENDING)):
            approve_entry(hr, entry, revision=entry.revision)
            enqueue_after_commit(embed_entry, tenant.id, entry.id)  # as the review view does
        db.session.commit()
"""


def _seed(stack) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SEED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        preexec_fn=die_with_parent,
        env=marked_env({**stack.env, "FLASK_APP": "web"}),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _submit(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state("load")


def test_hr_shapes_the_themes_and_employees_search_by_meaning(people, stack):
    problems: dict[str, list[str]] = {}

    def check(page, locale: str = "da") -> None:
        page.wait_for_load_state("load")
        found = check_page(page, locale)
        if found:
            problems.setdefault(page.url, []).extend(found)

    _seed(stack)
    today = local_today().isoformat()
    hr = people("hanne.hr", "Hanne Jensen", "da")
    page = hr.go("/t/demo/inspiration/temaer")
    check(page)
    headings = page.locator("main section h2")
    deadline = time.monotonic() + 120  # the worker embeds the 24 approved entries
    while headings.count() < 3:
        assert time.monotonic() < deadline, (headings.all_inner_texts(), stack.output())
        page.get_by_label("Fra dato", exact=True).fill(today)
        page.get_by_label("Til dato", exact=True).fill(today)
        _submit(page, "Beregn")
        if headings.count() < 3:
            time.sleep(2)
    check(page)
    assert "Temaerne er beregnet igen." in page.locator("main").inner_text()

    # The largest theme: HR names it, then splits it in two.
    headings.first.get_by_role("link").click()
    page.wait_for_load_state("load")
    check(page)
    page.get_by_label("Navn", exact=True).fill("Arbejdstid og planlægning")
    _submit(page, "Gem navnet")
    assert "Temaet er gemt." in page.locator("main").inner_text()
    assert page.locator("h1").inner_text() == "Arbejdstid og planlægning"
    _submit(page, "Del temaet i to")
    check(page)
    assert "Temaet er delt i to." in page.locator("main").inner_text()
    page.get_by_role("link", name="Alle temaer", exact=True).click()
    page.wait_for_load_state("load")
    assert headings.count() == 4
    check(page)

    # The smallest theme: merged into the named one.
    headings.last.get_by_role("link").click()
    page.wait_for_load_state("load")
    page.get_by_label("Læg sammen med", exact=True).select_option(label="Arbejdstid og planlægning")
    _submit(page, "Læg sammen")
    assert "Temaet er gemt." in page.locator("main").inner_text()
    page = hr.go("/t/demo/inspiration/temaer")
    assert headings.count() == 3
    assert "Arbejdstid og planlægning" in page.locator("main").inner_text()

    employee = people("peter.ansat", "Peter Hansen", "da")
    page = employee.go("/t/demo/inspiration/")
    page.get_by_role("link", name="Søg efter betydning", exact=True).click()
    page.wait_for_load_state("load")
    check(page)
    page.get_by_label("Hvad leder du efter?", exact=True).fill(
        "borgere bestemmer selv hvornår de får besøg"
    )
    _submit(page, "Søg")
    check(page)
    first = page.locator("main article.collection-entry").first
    assert "besøg" in first.inner_text().lower() or "tid" in first.inner_text().lower()
    first.get_by_role("link", name="Lignende eksempler").click()
    page.wait_for_load_state("load")
    check(page)
    assert page.locator("main article.collection-entry").count() >= 2
    page = employee.go("/t/demo/inspiration/temaer")
    check(page)
    text = page.locator("main").inner_text()
    assert "Arbejdstid og planlægning" in text and "Beregn temaerne" not in text

    english = people("sofie.ansat", "Sofie Christensen", "en")
    page = english.go("/t/demo/inspiration/betydning")
    check(page, "en")
    page.get_by_label("What are you looking for?", exact=True).fill(
        "flexible visiting times as the citizen wishes"
    )
    _submit(page, "Search")
    check(page, "en")
    assert page.locator("main article.collection-entry").count() >= 1
    page = english.go("/t/demo/inspiration/temaer")
    check(page, "en")
    assert problems == {}, problems
