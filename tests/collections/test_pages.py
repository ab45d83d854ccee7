"""The collection's pages: who sees what, HR's review, search and the PDF."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.collections.town import KEEP, offered
from tests.querycount import queries_for
from web.collections.models import CollectionEntry, EntryStatus
from web.extensions import db


@pytest.fixture
def entry_id(town, make, compiled) -> int:
    offered(make, town)
    compiled()
    with make.scope(town.tenant):
        return db.session.scalars(select(CollectionEntry.id)).one()


def status_of(make, town, entry_id: int) -> EntryStatus:
    with make.scope(town.tenant):
        return db.session.get(CollectionEntry, entry_id).status


def review(client, entry_id: int, **form):
    return client.post(f"/t/solby/inspiration/review/{entry_id}", data=form)


@pytest.fixture
def no_tasks_left(app):
    yield
    app.extensions["celery"].control.purge()  # what "Hent nye eksempler nu" queued


@pytest.mark.parametrize(
    ("who", "catalogue", "curation"),
    [
        ("author", 200, 403),
        ("colleague", 200, 403),
        ("leader", 200, 403),
        ("hr", 200, 200),
        ("hovedudvalg", 200, 403),
        ("admin", 200, 403),
    ],
)
def test_who_may_read_and_who_may_curate(
    town, login, entry_id, no_tasks_left, who, catalogue, curation
):
    client = login(getattr(town, who))
    assert client.get("/t/solby/inspiration/").status_code == catalogue
    assert client.get("/t/solby/inspiration/review").status_code == curation
    assert client.get(f"/t/solby/inspiration/review/{entry_id}").status_code == curation
    assert review(client, entry_id, decision="reject", revision=1).status_code in (curation, 302)
    assert client.post("/t/solby/inspiration/review/compile").status_code in (curation, 302)


def test_signed_out_and_other_tenants(town, login, client, entry_id):
    assert client.get("/t/solby/inspiration/").status_code == 401
    neighbour = login(town.neighbour_hr)
    assert neighbour.get(f"/t/nabo/inspiration/review/{entry_id}").status_code == 404
    assert review(neighbour, entry_id, decision="reject", revision=1).status_code in (401, 404)
    assert neighbour.get("/t/solby/inspiration/").status_code == 401  # signed in elsewhere


def test_hr_reviews_side_by_side_then_approves(town, make, login, entry_id):
    hr = login(town.hr)
    page = hr.get(f"/t/solby/inspiration/review/{entry_id}").get_data(as_text=True)
    assert '<mark class="finding" title="et navn">Hanne Jensen' in page
    assert '<mark class="finding" title="et CPR-nummer">010203-1234' in page
    assert "[navn] tog ordet" in page  # the redacted text, in the form
    assert "Vises som: fra Børn og Unge" in page
    employee = login(town.colleague)
    listing = employee.get("/t/solby/inspiration/").get_data(as_text=True)
    assert "morgenmøde" not in listing and "Hanne" not in listing  # pending: not published

    hr = login(town.hr)
    refused = review(
        hr,
        entry_id,
        decision="save_approve",
        revision=1,
        title="[navn] morgenmøde",
        text="Hanne Jensen tog ordet.",
        lesson="",
    )
    assert refused.status_code == 422
    assert "Teksten indeholder stadig et navn" in refused.get_data(as_text=True)
    assert status_of(make, town, entry_id) == EntryStatus.PENDING

    done = review(
        hr,
        entry_id,
        decision="save_approve",
        revision=1,
        title="[navn] morgenmøde",
        text="En kollega tog ordet.",
        lesson="",
    )
    assert done.status_code == 302
    assert "Eksemplet er godkendt og offentliggjort i kataloget." in hr.get(done.location).get_data(
        as_text=True
    )
    assert status_of(make, town, entry_id) == EntryStatus.APPROVED

    employee = login(town.colleague)
    listing = employee.get("/t/solby/inspiration/?q=kollega").get_data(as_text=True)
    assert "[navn] morgenmøde" in listing and "En kollega tog ordet." in listing
    assert "Fra Børn og Unge" in listing
    assert "Hanne" not in listing and "Solsikken" not in listing
    assert "morgenmøde" not in employee.get("/t/solby/inspiration/?q=fodbold").get_data(
        as_text=True
    )


def test_reject_from_the_page(town, make, login, entry_id):
    hr = login(town.hr)
    rejected = review(hr, entry_id, decision="reject", revision=1, reason="Nej")
    assert rejected.status_code == 302
    assert "Eksemplet er afvist; det offentliggøres ikke." in hr.get(rejected.location).get_data(
        as_text=True
    )
    assert status_of(make, town, entry_id) == EntryStatus.REJECTED
    assert review(hr, entry_id, decision="publish-everything", revision=1).status_code == 400


def test_the_pdf_holds_the_published_entries_and_no_names(town, make, login, scope, entry_id):
    from web.collections.services import approve_entry

    with scope(town.tenant):
        entry = db.session.get(CollectionEntry, entry_id)
        approve_entry(town.hr, entry, revision=entry.revision, decisions=KEEP)
        db.session.commit()
    response = login(town.colleague).get("/t/solby/inspiration/katalog.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Inspirationskatalog" in text and "[navn] morgenmøde" in text
    assert "Hanne" not in text and "12 34 56 78" not in text

    # A search without hits says so, not that the catalogue is empty.
    response = login(town.colleague).get("/t/solby/inspiration/katalog.pdf?q=zzzingenting")
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Ingen eksempler i kataloget passer til søgningen." in text
    assert "endnu ingen godkendte" not in text
    # So does a choice of kind without hits (the one entry is a good example).
    assert entry.kind.value == "good"
    response = login(town.colleague).get("/t/solby/inspiration/katalog.pdf?kind=lesson")
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Ingen eksempler i kataloget passer til søgningen." in text
    assert "endnu ingen godkendte" not in text and "Læring: aktørskab" in text


def test_the_catalogue_page_is_a_few_queries(town, make, login, scope, compiled):
    for n in range(6):
        offered(make, town, title=f"Eksempel {n}", text="Tekst.")
    compiled()
    with scope(town.tenant):
        from web.collections.services import approve_entry

        for entry in db.session.scalars(select(CollectionEntry)):
            approve_entry(town.hr, entry, revision=entry.revision, decisions=KEEP)
        db.session.commit()
    client = login(town.colleague)
    response, queries = queries_for(client, "get", "/t/solby/inspiration/")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="collection-entry"') == 6
    assert queries.count <= 10, str(queries)


def test_the_navigation(town, login):
    page = login(town.colleague).get("/t/solby/inspiration/").get_data(as_text=True)
    assert "Inspiration" in page and "Godkend eksempler" not in page
    page = login(town.hr).get("/t/solby/inspiration/").get_data(as_text=True)
    assert "Godkend eksempler" in page and "Rapporter" in page


def test_no_inline_styles_the_stylesheet_is_a_file(town, login, entry_id):
    """The Content-Security-Policy allows styles from our origin only."""
    client = login(town.hr)
    for url in ("/t/solby/inspiration/", f"/t/solby/inspiration/review/{entry_id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<style" not in page and ' style="' not in page
        assert "/t/solby/inspiration/static/collections.css" in page
    with client.get("/t/solby/inspiration/static/collections.css") as css:
        assert css.status_code == 200 and b"mark.finding" in css.data
