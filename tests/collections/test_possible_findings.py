"""Issue 13: possible findings block approval until HR decided each; decisions are remembered;
erased people's names are still redacted (salted hashes, no name kept)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tests.collections.town import offered
from web.collections import services
from web.collections.models import CollectionEntry, EntryDecision, EntryStatus, ErasedName
from web.errors import Refusal
from web.extensions import db

TEXT = "Ida og Sofie hjalp borgeren Karen Blixen, og vi takkede Emil for kaffen."


@pytest.fixture
def entry_id(town, make, compiled) -> int:
    offered(make, town, title="Morgenmøde", text=TEXT)
    compiled()
    with make.scope(town.tenant):
        return db.session.scalars(select(CollectionEntry.id)).one()


def load(entry_id: int) -> CollectionEntry:
    return db.session.get(CollectionEntry, entry_id)


def test_possible_findings_are_listed_not_redacted(town, scope, entry_id):
    with scope(town.tenant):
        entry = load(entry_id)
        assert entry.text == TEXT  # nothing certain: nothing replaced automatically
        item = services.review_item(entry)
    text = item.fields[1]
    # Emil is a colleague (Emil Eriksen): a lone first name; the rest are listed first names
    # and a name-like pair of someone outside the directory.
    assert [p.phrase for p in text.possible] == ["Ida", "Sofie", "Karen Blixen", "Emil"]
    assert all(p.decision is None for p in text.possible)


def test_approval_is_refused_until_each_is_decided_and_nothing_changes(town, scope, entry_id):
    with scope(town.tenant):
        entry = load(entry_id)
        with pytest.raises(Refusal) as refused:
            services.approve_entry(
                town.hr, entry, revision=entry.revision, decisions={("text", "Ida"): "redact"}
            )
        assert refused.value.errors["text"].startswith("Afgør for hver mulig personoplysning")
        assert "»Sofie«" in refused.value.errors["text"]
        assert "»Ida«" not in refused.value.errors["text"]  # decided in this very request
        db.session.commit()
    with scope(town.tenant):
        entry = load(entry_id)
        assert (entry.status, entry.text) == (EntryStatus.PENDING, TEXT)
        assert db.session.scalars(select(EntryDecision)).all() == []  # nothing remembered


def test_the_refusal_is_translated(town, scope, entry_id):
    with scope(town.tenant), force_locale("en"):
        entry = load(entry_id)
        with pytest.raises(Refusal) as refused:
            services.approve_entry(town.hr, entry, revision=entry.revision)
        assert refused.value.errors["text"].startswith("Decide for each possible")


def test_decisions_redact_or_keep_and_are_remembered(town, scope, entry_id):
    with scope(town.tenant):
        entry = load(entry_id)
        services.save_entry(
            town.hr,
            entry,
            revision=entry.revision,
            title=entry.title,
            text=entry.text,
            lesson=None,
            decisions={
                ("text", "Ida"): "redact",
                ("text", "Sofie"): "redact",
                ("text", "Karen Blixen"): "redact",
                ("text", "Emil"): "keep",
            },
        )
        db.session.commit()
    with scope(town.tenant):
        entry = load(entry_id)
        assert entry.text == (
            "[navn] og [navn] hjalp borgeren [navn], og vi takkede Emil for kaffen."
        )
        assert entry.status == EntryStatus.PENDING  # saved, not approved
        [emil] = services.review_item(entry).fields[1].possible
        assert (emil.phrase, emil.decision) == ("Emil", "keep")  # remembered
        services.approve_entry(town.hr, entry, revision=entry.revision)  # no need to ask again
        db.session.commit()
    with scope(town.tenant):
        assert load(entry_id).status == EntryStatus.APPROVED


def test_a_bad_decision_is_refused(town, scope, entry_id):
    with scope(town.tenant):
        entry = load(entry_id)
        with pytest.raises(Refusal) as refused:
            services.approve_entry(
                town.hr, entry, revision=entry.revision, decisions={("text", "Ida"): "maybe"}
            )
        assert "_form" in refused.value.errors


def test_an_erased_person_is_still_redacted(town, make, scope, compiled):
    from web.gdpr.services import erase_person

    anna = make.user(town.tenant, "Anna Larsen", unit=town.team)
    with scope(town.tenant):
        erase_person(town.admin, db.session.get(type(anna), anna.id), confirmed=True)
        db.session.commit()
    with scope(town.tenant):
        hashes = db.session.scalars(select(ErasedName.digest)).all()
        assert hashes and not any("anna" in h or "larsen" in h for h in hashes)
    offered(make, town, title="Tak", text="Tak til Anna Larsen og til Larsen, Anna for hjælpen.")
    compiled()
    with scope(town.tenant):
        entry = db.session.scalars(select(CollectionEntry)).one()
        assert entry.text == "Tak til [navn] og til [navn] for hjælpen."
