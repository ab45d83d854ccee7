"""HR's review: edit (redacted again), approve, reject; what employees see; search."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tests.collections.town import KEEP, offered
from tests.services import SQLITE
from web.collections import services
from web.collections.models import CollectionEntry, EntryStatus
from web.errors import Refusal
from web.examples.models import ExampleKind
from web.extensions import db


@pytest.fixture
def entry_id(town, make, compiled) -> int:
    offered(make, town)
    compiled()
    return entry_ids(town, make)[0]


def entry_ids(town, make) -> list[int]:
    with make.scope(town.tenant):
        return list(db.session.scalars(select(CollectionEntry.id).order_by(CollectionEntry.id)))


def load(entry_id: int) -> CollectionEntry:
    return db.session.get(CollectionEntry, entry_id)


def test_hr_edits_and_approves_and_employees_see_it(town, scope, entry_id):
    with scope(town.tenant):
        assert services.published_entries() == []  # pending: nobody outside the team sees it
        entry = load(entry_id)
        services.save_entry(
            town.hr,
            entry,
            revision=entry.revision,
            title="Et godt morgenmøde",
            text="En kollega tog ordet.\r\n",
            lesson="",
            approve=True,
        )
        db.session.commit()
    with scope(town.tenant):
        entry = load(entry_id)
        assert (entry.status, entry.is_edited, entry.revision) == (EntryStatus.APPROVED, True, 2)
        assert (entry.title, entry.text, entry.lesson) == (
            "Et godt morgenmøde",
            "En kollega tog ordet.",
            None,
        )
        assert entry.reviewed_by_id == town.hr.id
        [published] = services.published_entries()
        assert published.entry.id == entry_id
        assert published.area_name == "Børn og Unge"


def test_an_edit_that_still_names_someone_is_refused_and_nothing_is_saved(town, scope, entry_id):
    with scope(town.tenant):
        entry = load(entry_id)
        before = (entry.title, entry.text, entry.status, entry.revision)
        with pytest.raises(Refusal) as refused:
            services.save_entry(
                town.hr,
                entry,
                revision=entry.revision,
                title="Ny titel",
                text="Spørg Anne Hansen på 11223344.",
                lesson=None,
                approve=True,
            )
        message = refused.value.errors["text"]
        assert message.startswith("Teksten indeholder stadig et navn, et telefonnummer:")
        assert "»Anne Hansen«" in message and "»11223344«" in message
        assert set(refused.value.errors) == {"text"}
        db.session.commit()  # whatever the session holds: nothing, if nothing was written
    with scope(town.tenant):
        entry = load(entry_id)
        assert (entry.title, entry.text, entry.status, entry.revision) == before


def test_errors_are_translated(town, scope, entry_id):
    with scope(town.tenant), force_locale("en"):
        entry = load(entry_id)
        with pytest.raises(Refusal) as refused:
            services.save_entry(
                town.hr,
                entry,
                revision=entry.revision,
                title="",
                text="Ring til hanne@solby.dk",
                lesson=None,
            )
        assert refused.value.errors["title"] == "Required."
        assert refused.value.errors["text"].startswith("The text still contains an e-mail")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"revision": 0}, "_form"),  # someone (or the compilation) changed it meanwhile
        ({"title": ""}, "title"),
        ({"text": "x" * 4001}, "text"),
        ({"text": "CPR 0102031234"}, "text"),
    ],
)
def test_bad_input_is_refused(town, scope, entry_id, changes, field):
    with scope(town.tenant):
        entry = load(entry_id)
        values = {
            "revision": entry.revision,
            "title": "T",
            "text": "Tekst",
            "lesson": None,
            **changes,
        }
        with pytest.raises(Refusal) as refused:
            services.save_entry(town.hr, entry, approve=True, **values)
        assert field in refused.value.errors
        assert load(entry_id).status == EntryStatus.PENDING


def test_a_lesson_needs_its_lesson(town, make, scope, compiled):
    offered(make, town, kind=ExampleKind.LESSON, lesson="Vi lærte at spørge.")
    compiled()
    with scope(town.tenant):
        entry = db.session.scalars(select(CollectionEntry)).one()
        with pytest.raises(Refusal) as refused:
            services.save_entry(
                town.hr, entry, revision=entry.revision, title="T", text="T", lesson=" "
            )
        assert refused.value.errors == {"lesson": "Skal udfyldes."}


def test_reject_keeps_it_unpublished(town, scope, entry_id):
    with scope(town.tenant):
        entry = load(entry_id)
        with pytest.raises(Refusal):
            services.reject_entry(town.hr, entry, revision=entry.revision, reason="x" * 1001)
        services.reject_entry(town.hr, entry, revision=entry.revision, reason="For genkendeligt")
        db.session.commit()
    with scope(town.tenant):
        entry = load(entry_id)
        assert (entry.status, entry.rejection_reason) == (EntryStatus.REJECTED, "For genkendeligt")
        assert services.published_entries() == []


def test_a_stale_entry_cannot_be_approved(town, make, scope, entry_id):
    from web.examples.models import Example

    with make.scope(town.tenant):
        db.session.scalars(select(Example)).one().text = "Ændret af teamet."
    with scope(town.tenant):
        entry = load(entry_id)
        with pytest.raises(Refusal) as refused:
            services.approve_entry(town.hr, entry, revision=entry.revision, decisions=KEEP)
        assert "Teamet har ændret" in refused.value.errors["_form"]
        assert services.review_item(entry).is_stale


def test_the_review_item_marks_the_findings_in_the_original(town, scope, entry_id):
    with scope(town.tenant):
        item = services.review_item(load(entry_id))
    title, text, lesson = item.fields
    assert [(s.text, s.kind) for s in title.original] == [
        ("Hanne Jensens", "name"),
        (" morgenmøde", None),
    ]
    assert [s.text for s in text.original if s.kind] == [
        "Hanne Jensen",
        "Hanne Jensens",
        "12 34 56 78",
        "hanne@solby.dk",
        "010203-1234",
        "Kirsten Berg",
    ]  # the last one possible: someone outside the directory
    assert [s.kind for s in text.original if s.kind][-1] == "possible"
    assert [(p.field, p.phrase, p.decision) for p in text.possible] == [
        ("text", "Kirsten Berg", None)
    ]
    assert "".join(s.text for s in text.original).startswith("Hanne Jensen tog ordet")
    assert lesson.original == [] and lesson.redacted is None
    assert item.area_name == "Børn og Unge" and not item.is_stale


def test_search_finds_words_and_danish_forms(town, make, scope, compiled):
    offered(make, town, title="Borgermøder om trafik", text="Vi holdt mange møder med borgerne.")
    offered(
        make,
        town,
        title="Ny vagtplan",
        text="Vagtplanen blev lagt af teamet selv.",
        kind=ExampleKind.LESSON,
        lesson="Spørg alle først.",
    )
    compiled()
    with scope(town.tenant):
        for entry in db.session.scalars(select(CollectionEntry)):
            services.approve_entry(town.hr, entry, revision=entry.revision, decisions=KEEP)
        db.session.commit()

        def titles(**kw) -> list[str]:
            return sorted(p.entry.title for p in services.published_entries(**kw))

        assert titles() == ["Borgermøder om trafik", "Ny vagtplan"]
        assert titles(query="VAGTPLAN") == ["Ny vagtplan"]
        # Danish word forms: PostgreSQL's full-text search; SQLite searches substrings only
        # (README, "What needs PostgreSQL").
        assert titles(query="mødet borger") == ([] if SQLITE else ["Borgermøder om trafik"])
        assert titles(query="møde borger") == ["Borgermøder om trafik"]
        assert titles(query="spørg") == ["Ny vagtplan"]  # the lesson is searched too
        assert titles(query="50%_") == []  # LIKE wildcards are taken literally
        assert titles(kind=ExampleKind.LESSON) == ["Ny vagtplan"]
        groups = services.grouped(services.published_entries(), "kkc")
        assert [g.key for g in groups[ExampleKind.GOOD]] == [None]


def test_another_tenant_sees_none_of_it(town, scope, entry_id):
    with scope(town.tenant):
        services.approve_entry(
            town.hr, load(entry_id), revision=load(entry_id).revision, decisions=KEEP
        )
        db.session.commit()
    with scope(town.neighbour):
        assert services.published_entries() == []
        assert load(entry_id) is None
        assert services.review_counts()[EntryStatus.APPROVED] == 0
