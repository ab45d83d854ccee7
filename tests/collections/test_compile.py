"""Compilation: offered examples become anonymous, redacted entries waiting for HR."""

from __future__ import annotations

from sqlalchemy import select

from tests.collections.town import KEEP, offered
from web.collections.models import CollectionEntry, EntryStatus
from web.examples.models import ExampleKind
from web.extensions import db
from web.vocabulary import KKC, OLFA, Expectation


def entries(scope, tenant) -> list[CollectionEntry]:
    with scope(tenant):
        return list(db.session.scalars(select(CollectionEntry).order_by(CollectionEntry.id)))


def approve(user, decisions=KEEP) -> None:
    """Approve the one entry (inside a scope), deciding its possible findings."""
    from web.collections.services import approve_entry

    entry = db.session.scalars(select(CollectionEntry)).one()
    approve_entry(user, entry, revision=entry.revision, decisions=decisions)
    db.session.commit()


def test_an_offered_example_becomes_a_redacted_entry_without_author(town, make, scope, compiled):
    example = offered(
        make,
        town,
        lesson="Spørg Anne Marie Holm Hansen eller ring +45 87654321.",
        kind=ExampleKind.LESSON,
        kkc=KKC.COMMITMENT,
        olfa=OLFA.COMMUNITY,
        expectations=[Expectation.CONTEXT, Expectation.RESPONSIBILITY],
    )
    make.example(town.tenant, town.team, town.author, title="Kun i teamet")  # not offered

    result = compiled()

    assert (result.offered, result.created) == (1, 1)
    [entry] = entries(scope, town.tenant)
    assert entry.example_id == example.id
    assert entry.title == "[navn] morgenmøde"  # the genitive "Hanne Jensens" too
    assert entry.text == (
        "[navn] tog ordet, og [navn] idé blev til en plan. Ring på [telefon] eller skriv til "
        "[e-mail]. CPR [cpr] hører ikke hjemme her. Kirsten Berg fra nabokommunen var med."
    )
    assert entry.lesson == "Spørg [navn] eller ring [telefon]."
    assert entry.findings_count == 8
    assert entry.status == EntryStatus.PENDING
    # No author, no team: only the area (it has at least k people), and the classification.
    columns = CollectionEntry.__table__.columns.keys()
    assert not {"author_id", "unit_id", "cycle_id"} & set(columns)
    assert entry.area_id == town.area.id
    assert (entry.kind, entry.kkc, entry.olfa) == (
        ExampleKind.LESSON,
        KKC.COMMITMENT,
        OLFA.COMMUNITY,
    )
    assert entry.expectations == [Expectation.RESPONSIBILITY, Expectation.CONTEXT]


def test_an_area_with_fewer_than_k_people_is_not_named(town, make, scope, compiled):
    offered(make, town, unit=town.small_team, author=None, text="Vi ryddede op.")
    compiled()
    [entry] = entries(scope, town.tenant)
    assert entry.area_id is None


def test_another_tenants_examples_and_names_play_no_part(town, make, scope, compiled):
    theirs = make.example(
        town.neighbour,
        make.unit(town.neighbour),
        town.neighbour_hr,
        title="Nabo",
        text="Hanne Jensen besøgte os.",
        is_offered=True,
    )
    offered(make, town)
    compiled()
    assert theirs.id not in [e.example_id for e in entries(scope, town.tenant)]
    assert entries(scope, town.neighbour) == []  # not compiled for them by our run
    # Kirsten Berg is in the neighbour's directory, not ours: her name is not ours to redact.
    assert "Kirsten Berg" in entries(scope, town.tenant)[0].text

    from web.collections.compilation import compile_collection

    with scope(town.neighbour):
        compile_collection()
        db.session.commit()
    [theirs_entry] = entries(scope, town.neighbour)
    assert theirs_entry.text == "Hanne Jensen besøgte os."  # Hanne is not their person
    assert theirs.id not in [e.example_id for e in entries(scope, town.tenant)]


def test_running_twice_changes_nothing(town, make, scope, compiled):
    offered(make, town)
    compiled()
    [before] = entries(scope, town.tenant)
    result = compiled()
    [after] = entries(scope, town.tenant)
    assert (result.created, result.changed, result.flagged, result.withdrawn) == (0, 0, 0, 0)
    assert (after.id, after.revision, after.text) == (before.id, before.revision, before.text)


def test_an_edit_by_the_team_sends_an_approved_entry_back_to_review(town, make, scope, compiled):
    from web.collections.services import published_entries

    example = offered(make, town)
    compiled()
    with scope(town.tenant):
        approve(town.hr)
        assert len(published_entries()) == 1

    with make.scope(town.tenant):
        db.session.get(type(example), example.id).text = "Nu skrevet om af Hanne Jensen."
    with scope(town.tenant):
        assert published_entries() == []  # hidden at once, before the next compilation

    result = compiled()
    [entry] = entries(scope, town.tenant)
    assert result.changed == 1
    assert entry.status == EntryStatus.PENDING
    assert entry.text == "Nu skrevet om af [navn]."
    assert entry.reviewed_at is None


def test_a_change_without_new_text_keeps_the_approval(town, make, scope, compiled):
    from web.collections.services import published_entries
    from web.examples.models import Example, ExampleExpectation

    example = offered(make, town)
    compiled()
    with scope(town.tenant):
        approve(town.hr)
    with make.scope(town.tenant):
        row = db.session.get(Example, example.id)
        row.kkc = KKC.COURSE
        row.expectation_tags.append(ExampleExpectation(expectation=Expectation.AGENCY_FOR_OTHERS))
    compiled()
    [entry] = entries(scope, town.tenant)
    assert entry.status == EntryStatus.APPROVED
    assert (entry.kkc, entry.expectations) == (KKC.COURSE, [Expectation.AGENCY_FOR_OTHERS])
    with scope(town.tenant):
        assert len(published_entries()) == 1


def test_a_withdrawn_offer_removes_the_entry(town, make, scope, compiled):
    example = offered(make, town)
    compiled()
    with make.scope(town.tenant):
        from web.examples.models import Example

        db.session.get(Example, example.id).offered_at = None  # withdrawn
    result = compiled()
    assert result.withdrawn == 1
    assert entries(scope, town.tenant) == []


def test_a_name_added_to_the_directory_later_is_caught(town, make, scope, compiled):
    offered(make, town, text="Vi fik hjælp af Ib Nygaard.")
    compiled()
    [entry] = entries(scope, town.tenant)
    assert entry.text == "Vi fik hjælp af Ib Nygaard."  # not (yet) one of ours
    with scope(town.tenant):
        approve(town.hr, {("text", "Ib Nygaard"): "keep"})  # possible: HR kept it
    make.user(town.tenant, "Ib Nygaard", unit=town.team)

    result = compiled()

    [entry] = entries(scope, town.tenant)
    assert result.flagged == 1
    assert (entry.status, entry.text) == (EntryStatus.PENDING, "Vi fik hjælp af [navn].")


def test_the_command_line_compiles_with_a_progress_bar(app, town, make, scope):
    offered(make, town)
    result = app.test_cli_runner().invoke(args=["collections", "compile", "solby"])
    assert result.exit_code == 0, result.output
    assert "Compiling" in result.output and "created: 1" in result.output
    assert len(entries(scope, town.tenant)) == 1
