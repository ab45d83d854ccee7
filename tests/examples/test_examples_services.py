"""Recording examples: the rules, the consent to share, and nothing half-saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.dashboards.world import build_world
from web.cycles.models import Phase
from web.errors import InputError
from web.examples import services
from web.examples.models import MAX_TEXT, MAX_TITLE, Example, ExampleExpectation, ExampleKind
from web.extensions import db
from web.tenancy import tenant_scope
from web.vocabulary import KKC, OLFA, Expectation


@pytest.fixture(scope="module")  # built once (module_db); each test in a savepoint
def world(module_make):
    return build_world(module_make)


@pytest.fixture
def scope(world, ctx):
    with tenant_scope(world.tenant.id):
        yield


def valid(world, **overrides):
    values = {
        "unit_id": str(world.team.id),
        "kind": "good",
        "title": "Vi byttede vagter selv",
        "text": "Da en kollega blev syg, fandt vi selv en løsning.",
        "lesson": "",
        "expectations": ["responsibility", "agency_for_others"],
        "kkc": "coordination",
        "olfa": "community",
        "offer": False,
    }
    values.update(overrides)
    return values


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Example)),
        db.session.scalar(select(func.count()).select_from(ExampleExpectation)),
    )


def test_a_member_records_a_good_example_kept_in_the_team(world, scope):
    example = services.record_example(world.anna, **valid(world))
    assert example.author_id == world.anna.id
    assert example.unit_id == world.team.id
    assert example.kind == ExampleKind.GOOD
    assert example.expectations == [Expectation.RESPONSIBILITY, Expectation.AGENCY_FOR_OTHERS]
    assert (example.kkc, example.olfa) == (KKC.COORDINATION, OLFA.COMMUNITY)
    assert example.is_offered is False and example.offered_at is None
    assert example.lesson is None


def test_a_lesson_needs_what_was_learned(world, scope):
    with pytest.raises(InputError) as raised:
        services.record_example(world.anna, **valid(world, kind="lesson", lesson=" "))
    assert raised.value.errors == {"lesson": "Skriv, hvad I lærte af det."}
    example = services.record_example(
        world.anna, **valid(world, kind="lesson", lesson="Aftal det med lederen")
    )
    assert example.lesson == "Aftal det med lederen"


def test_tags_are_optional_and_each_is_given_once(world, scope):
    example = services.record_example(
        world.anna, **valid(world, expectations=["context"], kkc="", olfa=None)
    )
    assert example.expectations == [Expectation.CONTEXT]
    assert example.kkc is None and example.olfa is None
    with pytest.raises(InputError) as refused:  # as the API refuses it
        services.record_example(world.anna, **valid(world, expectations=["context"] * 2))
    assert refused.value.errors == {"expectations": "Må kun forekomme én gang."}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "Skal udfyldes."),
        ({"title": "x" * (MAX_TITLE + 1)}, "title", f"Højst {MAX_TITLE} tegn"),
        ({"text": "  "}, "text", "Skal udfyldes."),
        ({"text": "x" * (MAX_TEXT + 1)}, "text", f"Højst {MAX_TEXT} tegn"),
        ({"lesson": "x" * (MAX_TEXT + 1)}, "lesson", f"Højst {MAX_TEXT} tegn"),
        ({"kind": ""}, "kind", "Skal udfyldes."),
        ({"kind": "bad"}, "kind", "Ugyldigt valg."),
        ({"expectations": ["responsibility", "obedience"]}, "expectations", "Ugyldigt valg."),
        ({"kkc": "control"}, "kkc", "Ugyldigt valg."),
        ({"olfa": "other"}, "olfa", "Ugyldigt valg."),
        ({"unit_id": ""}, "unit_id", "Vælg teamet."),
        ({"unit_id": "x"}, "unit_id", "Du kan kun skrive eksempler i de teams, du er med i."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(world, scope, overrides, field, message):
    with pytest.raises(InputError) as raised:
        services.record_example(world.anna, **valid(world, **overrides))
    assert message in raised.value.errors[field]
    assert counts() == (0, 0)


def test_only_in_ones_own_teams(world, scope):
    for unit in (world.other_team, world.area):
        with pytest.raises(InputError) as raised:
            services.record_example(world.anna, **valid(world, unit_id=unit.id))
        assert "unit_id" in raised.value.errors
    # A leader of the area leads the teams below it, but is not a member of them.
    with pytest.raises(InputError):
        services.record_example(world.area_leader, **valid(world))
    assert counts() == (0, 0)


def test_the_cycle_link_must_be_the_teams(world, make, scope):
    ours = make.cycle(world.tenant, world.team, phase=Phase.MEETING)
    theirs = make.cycle(world.tenant, world.other_team, phase=Phase.MEETING)
    example = services.record_example(world.anna, **valid(world, cycle_id=str(ours.id)))
    assert example.cycle_id == ours.id
    with pytest.raises(InputError) as raised:
        services.record_example(world.anna, **valid(world, cycle_id=str(theirs.id)))
    assert raised.value.errors["cycle_id"] == "Forløbet hører ikke til teamet."
    assert counts()[0] == 1


def test_offering_records_the_consent_and_withdrawing_clears_it(world, scope):
    example = services.record_example(world.anna, **valid(world, offer=True))
    assert example.is_offered and example.offered_at is not None
    first = example.offered_at
    services.update_example(world.anna, example, **_edit(valid(world, offer=True)))
    assert example.offered_at == first  # nothing changed: the consent stands as given
    services.update_example(
        world.anna, example, **_edit(valid(world, offer=True, text="En ny tekst"))
    )
    assert example.offered_at > first  # the consent now covers the new text
    services.update_example(world.anna, example, **_edit(valid(world, offer=False)))
    assert example.is_offered is False and example.offered_at is None


def test_update_replaces_the_tags_and_refuses_bad_input_whole(world, scope):
    example = services.record_example(world.anna, **valid(world))
    services.update_example(
        world.anna, example, **_edit(valid(world, expectations=["agency_for_others", "context"]))
    )
    db.session.expire(example)
    assert example.expectations == [Expectation.CONTEXT, Expectation.AGENCY_FOR_OTHERS]
    with pytest.raises(InputError):
        services.update_example(
            world.anna, example, **_edit(valid(world, title="", expectations=[]))
        )
    db.session.expire(example)
    assert example.title == "Vi byttede vagter selv"
    assert len(example.expectations) == 2


def test_the_team_sees_its_own_examples_only(world, make, scope):
    make.example(world.tenant, world.team, world.anna, title="Hjemmeplejens")
    make.example(world.tenant, world.other_team, world.dina, title="Tandplejens", is_offered=True)
    titles = lambda user: [i.example.title for i in services.team_examples(user)[0]]  # noqa: E731
    assert titles(world.bo) == ["Hjemmeplejens"]
    assert titles(world.leader) == ["Hjemmeplejens"]
    assert set(titles(world.area_leader)) == {"Hjemmeplejens", "Tandplejens"}
    assert titles(world.dina) == ["Tandplejens"]
    assert titles(world.hr) == [] and titles(world.admin) == []
    items, _ = services.team_examples(world.bo)
    assert items[0].author_name == "Anna Andersen" and items[0].unit_name == "Hjemmeplejen"


def _edit(values: dict) -> dict:
    values.pop("unit_id", None)
    return values
