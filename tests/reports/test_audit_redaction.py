"""Issue 13, "done when": every example the outside audit published goes the whole way —
offered through the API by the employee, compiled, approved by HR, published — and then the
catalogue page, its PDF and the Hovedudvalg report (HTML and PDF) are searched for the person
data. None of it may be there."""

from __future__ import annotations

import html
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.reports.test_render import generate
from web.collections import services as collections
from web.collections.compilation import compile_collection
from web.collections.models import CollectionEntry, EntryStatus
from web.errors import Refusal
from web.extensions import db

COLLEAGUES = ("Søren Friis", "Ida Holm", "Sofie Kragh", "Mads Bisgaard", "Anna Larsen")

# (title, text, the person data in it) — the audit's findings, as colleagues wrote them.
AUDIT = [
    (
        "Tak til Soren Friis",
        "Soren Friis og Sorensens kom. Sø\u00adren Fr\u200biis ringede.",
        ["Soren", "Sø\u00adren", "Friis", "Fr\u200biis"],
    ),
    (
        "Brud over linjen",
        "Det var Sø-\nren Friis og Sør\u0435n Friis, der tog over.",
        ["Sø-\nren", "Sør\u0435n", "Friis"],
    ),
    (
        "Efternavn alene",
        "Friis sagde det. Friis, Søren skrev referatet. S.ø.r.e.n kom.",
        ["Friis", "Søren", "S.ø.r.e.n"],
    ),
    ("Fornavne", "Ida, Sofie og Mads stod for det.", ["Ida", "Sofie", "Mads"]),
    (
        "CPR",
        "CPR 01.01.90-1234, 010190 - 1234 og 010190/1234.",
        ["01.01.90-1234", "010190 - 1234", "010190/1234", "1234"],
    ),
    (
        "Telefoner",
        "Ring 12-34-56-78, 123 456 78, +45 1234 56 78, (+45) 1234-5678 eller 12/34/56/78.",
        ["12-34-56-78", "123 456 78", "1234 56 78", "1234-5678", "12/34/56/78"],
    ),
    (
        "E-mails",
        "Skriv til x (at) d.dk, x @ d.dk, x\uff20d.dk, navn at kommune dot dk eller x@localhost.",
        ["(at)", "x @", "x@", "\uff20", "kommune dot dk", "localhost", "d.dk"],
    ),
    ("Tak til Anna", "Tak til Anna Larsen for hjælpen.", ["Anna Larsen", "Larsen"]),
]


@pytest.fixture
def published(app, town, make, login, scope):
    """The audit's examples offered through the API, compiled, decided and approved by HR."""
    from web.gdpr.services import erase_person

    sol = town.units["sol"]
    people = {name: make.user(town.tenant, name, unit=sol) for name in COLLEAGUES}
    author = town.people["sol"][1]
    api = login(author)
    for title, text, _ in AUDIT:
        response = api.post(
            "/t/solby/api/v1/examples",
            json={"unit_id": sol.id, "kind": "good", "title": title, "text": text, "offer": True},
        )
        assert response.status_code == 201, response.get_json()
    with scope(town.tenant):  # the admin erases Anna Larsen before the compilation
        erase_person(
            town.admin, db.session.get(type(author), people["Anna Larsen"].id), confirmed=True
        )
        db.session.commit()
    with scope(town.tenant):
        compile_collection()
        db.session.commit()
    with scope(town.tenant):
        for entry in db.session.scalars(select(CollectionEntry)):
            # "Gem og godkend" without deciding: refused while a possible finding is open
            item = collections.review_item(entry)
            open_ = {(p.field, p.phrase) for f in item.fields for p in f.possible}
            if open_:
                with pytest.raises(Refusal):
                    collections.approve_entry(town.hr, entry, revision=entry.revision)
            collections.approve_entry(
                town.hr, entry, revision=entry.revision, decisions=dict.fromkeys(open_, "redact")
            )
        db.session.commit()
        assert {e.status for e in db.session.scalars(select(CollectionEntry))} == {
            EntryStatus.APPROVED
        }
    return login


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(page.extract_text() for page in reader.pages)


def _assert_clean(where: str, text: str) -> None:
    for _, _, secrets in AUDIT:
        for secret in secrets:
            assert secret not in text, (where, secret)
    for name in COLLEAGUES:
        for part in name.split():
            assert part not in text, (where, part)


def test_no_person_data_in_the_catalogue_its_pdf_or_the_hu_report(town, scope, published):
    employee = published(town.people["sol"][2])
    page = employee.get("/t/solby/inspiration/")
    assert page.status_code == 200
    catalogue = html.unescape(page.get_data(as_text=True))
    assert "Tak til [navn]" in catalogue and "[cpr]" in catalogue and "[telefon]" in catalogue
    _assert_clean("catalogue", catalogue)

    pdf = employee.get("/t/solby/inspiration/katalog.pdf")
    assert pdf.status_code == 200
    pdf_text = _pdf_text(pdf.data)
    assert "[e-mail]" in pdf_text
    _assert_clean("katalog.pdf", pdf_text)

    report, _ = generate(town, scope)
    report_html = html.unescape(report.html)
    assert "[navn]" in report_html  # the report shows some of the approved examples
    _assert_clean("report html", report_html)
    _assert_clean("report pdf", _pdf_text(report.pdf))


def test_a_unit_named_after_a_person_leaves_redacted(town, scope, published):
    """Point 6: every free text that leaves a team, also the unit names the catalogue, its PDF
    and the report print beside the entries ("Fra …"): an area called after a colleague shows
    as a token, while the unit keeps its real name inside the municipality."""
    from web.orgs.models import OrgUnit

    with scope(town.tenant):
        area = db.session.get(OrgUnit, town.units["bu"].id)
        area.name = "Søren Friis' område"
        db.session.commit()
    employee = published(town.people["sol"][2])
    catalogue = html.unescape(employee.get("/t/solby/inspiration/").get_data(as_text=True))
    assert "Fra [navn]" in catalogue
    pdf_text = _pdf_text(employee.get("/t/solby/inspiration/katalog.pdf").data)
    assert "[navn]" in pdf_text
    report, _ = generate(town, scope)
    for where, text in (
        ("catalogue", catalogue),
        ("katalog.pdf", pdf_text),
        ("report html", html.unescape(report.html)),
        ("report pdf", _pdf_text(report.pdf)),
    ):
        assert "Søren" not in text and "Friis" not in text, where
    with scope(town.tenant):  # inside the municipality the unit keeps its name
        assert db.session.get(OrgUnit, town.units["bu"].id).name == "Søren Friis' område"
