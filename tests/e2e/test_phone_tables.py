"""Phone-ready tables in a real browser (issue 19, point 5): at 320 and 375 CSS px the HR
overview, the leader's actions list and the audit log stack their tables, every stacked cell
shows its column's label above its value (dkfds' ``::before`` from ``data-title``), and axe-core
finds nothing (WCAG 2.1 A/AA)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.e2e.checks import axe_violations, check_page
from tests.services import ROOT, marked_env

pytestmark = pytest.mark.e2e

WIDTHS = (320, 375)
ACTION = "Fælles frokost hver fredag"

# For every body cell of a stacked table: its label, the label the browser draws above it,
# its text, and whether it sits in a stacked (block) row.
_CELLS = """() => [...document.querySelectorAll("table.table--responsive-headers tbody tr > *")]
  .map(cell => ({label: cell.getAttribute("data-title"),
                 drawn: getComputedStyle(cell, "::before").content,
                 text: cell.innerText.trim(),
                 stacked: getComputedStyle(cell.parentElement).display === "block"}))"""


def seed_an_action(stack) -> None:
    """An overdue agreed action in Team Park (the demo has none; the story uses other teams):
    through the app's own models, in the stack's database, as a test's factories do."""
    script = textwrap.dedent(f"""
        from datetime import timedelta
        from sqlalchemy import select
        from tests.factories import Factory
        from web import create_app
        from web.cycles.models import Phase
        from web.extensions import db
        from web.models import today as local_today
        from web.orgs.models import OrgUnit
        from web.tenants.models import Tenant
        from web.users.models import User

        app = create_app()
        make = Factory(app)
        with app.app_context():
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "demo"))
        with make.scope(tenant):
            team = db.session.scalar(select(OrgUnit).where(OrgUnit.external_id == "tm-vp-park"))
            kim, soren = (db.session.scalar(select(User).where(User.subject == s))
                          for s in ("kim.leder", "soren.ansat"))
        cycle = make.cycle(tenant, team, leader=kim, phase=Phase.FOLLOW_UP)
        make.action(tenant, cycle, soren, text={ACTION!r},
                    due_on=local_today() - timedelta(days=2))
    """)
    subprocess.run(
        [sys.executable, "-c", script],
        env=marked_env(stack.env),
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )


def seed_a_report(stack) -> int:
    """A finished report of a period long before the story's (so the story's own report is
    not audited against it), made as the worker makes one; its id."""
    script = textwrap.dedent("""
        from sqlalchemy import select
        from web import create_app
        from web.extensions import db
        from web.reports import services
        from web.tenancy import tenant_scope
        from web.tenants.models import Tenant
        from web.users.models import User

        app = create_app()
        with app.app_context():
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "demo"))
        with app.test_request_context("/"), tenant_scope(tenant.id):
            hr = db.session.scalar(select(User).where(User.subject == "hanne.hr"))
            report = services.request_report(hr, period_start="2020-01-01",
                                             period_end="2020-06-30", locale="da")
            run = services.start_run(report)
            services.finish_run(report, run, services.build(report, lambda p: None),
                                services.Timer(0.0))
            db.session.commit()
            print(report.id)
    """)
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=marked_env(stack.env),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return int(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def seeded(stack):
    seed_an_action(stack)


@pytest.mark.parametrize(
    ("subject", "name", "path", "labels"),
    [
        ("hanne.hr", "Hanne Jensen", "/t/demo/overview", {"Fase", "Enheder"}),
        ("hanne.hr", "Hanne Jensen", "/t/demo/overview/units", {"Enhed", "Type", "Fase"}),
        (
            "kim.leder",
            "Kim Jakobsen",
            "/t/demo/units/actions",
            {"Handling", "Enhed", "Ansvarlig", "Frist", "Status"},
        ),
        (
            "birgitte.admin",
            "Birgitte Holm",
            "/t/demo/admin/audit",
            {"Tidspunkt", "Hændelse", "Hvem", "Detaljer"},
        ),
    ],
)
def test_stacked_cells_read_by_their_labels_at_phone_widths(
    people, seeded, subject, name, path, labels
):
    person = people(subject, name, "da")
    page = person.go(path)
    problems: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.reload()
        page.wait_for_load_state("load")
        cells = page.evaluate(_CELLS)
        assert cells, f"{path}: no table rows at {width} px"
        for cell in cells:
            if not cell["stacked"]:
                problems.append(f"{width}px: a row is not stacked: {cell}")
            if not cell["label"] or cell["drawn"] != f'"{cell["label"]}"':
                problems.append(f"{width}px: a cell without its label shown: {cell}")
        assert labels <= {c["label"] for c in cells}, (width, {c["label"] for c in cells})
        problems += [f"{width}px axe: {v}" for v in axe_violations(page)]
    if path.endswith("/actions"):
        by_label = {c["label"]: c["text"] for c in cells}
        assert ACTION in by_label["Handling"] and by_label["Ansvarlig"] == "Søren Friis"
    assert not problems, "\n".join(problems)


def test_a_profile_in_english_with_a_danish_browser_chooses_danish(people, stack):
    """Sofie's login profile says English, her browser Danish: the pages are in English, her
    settings page (under her name) says why, and she chooses Danish there for good."""
    sofie = people("sofie.ansat", "Sofie Christensen", "da", log_in=False)
    page = sofie.go("/t/demo/")
    page.get_by_role("link", name="Log ind", exact=True).click()
    page.wait_for_url("**/oauth2/authorize**")
    page.locator('button[name="sub"][value="sofie.ansat"]').click()
    page.wait_for_url(f"{stack.base_url}/t/demo/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator("summary.user").click()
    page.get_by_role("link", name="Personal settings", exact=True).click()
    page.wait_for_load_state("load")
    assert check_page(page, "en") == []
    assert "because your profile in the municipality's login says so" in page.inner_text("main")
    page.get_by_label("Dansk", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "da"
    assert "Dine indstillinger er gemt." in page.inner_text("main")
    assert check_page(page, "da") == []
    page.set_viewport_size({"width": 320, "height": 800})
    assert axe_violations(page) == []
    # A new browser (a new session) for her: Danish from the start, by her choice.
    again = people("sofie.ansat", "Sofie Christensen", "en", log_in=False)
    page = again.go("/t/demo/")
    page.get_by_role("link", name="Log in", exact=True).click()
    page.wait_for_url("**/oauth2/authorize**")
    page.locator('button[name="sub"][value="sofie.ansat"]').click()
    page.wait_for_url(f"{stack.base_url}/t/demo/")
    assert page.locator("html").get_attribute("lang") == "da"


def test_the_report_tables_page_filters_downloads_and_reads_on_a_phone(people, stack):
    """The Hovedudvalg member opens a report's tables from the report, filters them, downloads
    the CSV (the page's own cells) and reads the table stacked at phone width."""
    import csv
    import io

    report_id = seed_a_report(stack)
    karen = people("karen.hu", "Karen Mortensen", "da")
    page = karen.go(f"/t/demo/reports/{report_id}")
    page.get_by_role(
        "link", name="Filtrér rapportens tabeller, og hent dem som CSV eller Excel", exact=True
    ).click()
    page.wait_for_load_state("load")
    assert check_page(page, "da") == []
    shown = page.evaluate(_CELLS)
    assert shown and all(c["label"] for c in shown)
    page.get_by_label("Enhed eller kategori indeholder", exact=True).fill("Børn")
    page.get_by_role("button", name="Vis", exact=True).click()
    page.wait_for_load_state("load")
    rows = page.evaluate(_CELLS)
    assert rows and {c["text"] for c in rows if c["label"] == "Enhed"} <= {
        "Børn og Unge",
        "Øvrige enheder under Børn og Unge",
    }
    with page.expect_download() as download:
        page.get_by_role("button", name="Hent som CSV", exact=True).click()
    saved = Path(download.value.path()).read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(saved), delimiter=";"))
    assert table[0] == ["Enhed", "Medlemmer", "Har bidraget", "Andel"]
    texts = [c["text"] for c in rows]
    assert [cell for row in table[1:] for cell in row] == [t.replace("\xa0", " ") for t in texts]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        cells = page.evaluate(_CELLS)
        assert all(c["stacked"] and c["drawn"] == f'"{c["label"]}"' for c in cells), cells
        assert axe_violations(page) == [], width
