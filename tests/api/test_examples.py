"""The team's examples through the API: only the team sees them; only the author edits and
offers them for sharing."""

from __future__ import annotations

import pytest

from tests.api.client import count, error_of, load
from web.examples.models import Example, ExampleKind

GOOD = {
    "kind": "good",
    "title": "Vi byttede vagter selv",
    "text": "Da en kollega blev syg, fandt vi selv en løsning.",
    "expectations": ["responsibility", "agency_for_others"],
    "kkc": "commitment",
    "olfa": "community",
}


@pytest.fixture
def example(make, world):
    return make.example(world.tenant, world.team, world.anna, title="Annas eksempel")


def test_member_records_an_example_the_team_sees_it(api, world):
    response = api(world.anna).post("/examples", json={"unit_id": world.team.id, **GOOD})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["author_name"] == "Anna Andersen" and body["is_mine"] is True
    assert body["expectations"] == ["responsibility", "agency_for_others"]
    assert body["is_offered"] is False and body["offered_at"] is None
    assert body["unit"] == {"id": world.team.id, "name": "Solsikken"}
    for who, sees in (
        ("bo", True),
        ("leader", True),
        ("department_leader", True),
        ("emil", False),
        ("hr", False),
        ("admin", False),
        ("hovedudvalg", False),
    ):
        listed = api(getattr(world, who)).get("/examples").get_json()["items"]
        assert [e["id"] for e in listed] == ([body["id"]] if sees else []), who
        one = api(getattr(world, who)).get(f"/examples/{body['id']}")
        assert one.status_code == (200 if sees else 404), who
    assert api(world.bo).get(f"/examples/{body['id']}").get_json()["is_mine"] is False


def test_examples_page(api, make, world, monkeypatch):
    from web.api.views import examples as views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    made = [make.example(world.tenant, world.team, world.anna) for _ in range(3)]
    first = api(world.bo).get("/examples").get_json()
    assert [e["id"] for e in first["items"]] == [made[2].id, made[1].id]
    assert first["next_page"] == 2
    assert [e["id"] for e in api(world.bo).get("/examples?page=2").get_json()["items"]] == [
        made[0].id
    ]


@pytest.mark.parametrize("unit", ["other_team", "stranger_unit"])
def test_examples_are_recorded_only_in_ones_own_teams(api, app, world, unit):
    response = api(world.anna).post("/examples", json={"unit_id": getattr(world, unit).id, **GOOD})
    assert response.status_code == 403
    assert count(app, world.tenant, Example) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "lesson"}, "lesson"),
        ({"kind": "bad"}, "kind"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"text": "x" * 4001}, "text"),
        ({"lesson": "x" * 4001}, "lesson"),
        ({"expectations": ["context", "context"]}, "expectations"),
        ({"expectations": ["bravery"]}, "expectations.0"),
        ({"expectations": "context"}, "expectations"),
        ({"olfa": "leader"}, "olfa"),
        ({"offer": "yes"}, "offer"),
        ({"cycle_id": -1}, "cycle_id"),
    ],
)
def test_bad_examples_save_nothing(api, app, world, change, field):
    response = api(world.anna).post("/examples", json={"unit_id": world.team.id, **GOOD, **change})
    assert response.status_code == 422
    assert field in error_of(response)["fields"], error_of(response)
    assert count(app, world.tenant, Example) == 0


def test_the_cycle_must_be_the_teams(api, app, make, world):
    theirs = make.started_cycle(world.tenant, world.other_team, world.other_leader)
    response = api(world.anna).post(
        "/examples", json={"unit_id": world.team.id, "cycle_id": theirs.id, **GOOD}
    )
    assert error_of(response)["fields"] == {"cycle_id": "Forløbet hører ikke til teamet."}
    assert count(app, world.tenant, Example) == 0
    ours = make.started_cycle(world.tenant, world.team, world.leader)
    response = api(world.anna).post(
        "/examples",
        json={
            "unit_id": world.team.id,
            "cycle_id": ours.id,
            "kind": "lesson",
            "lesson": "Spørg tidligere",
            **{k: v for k, v in GOOD.items() if k != "kind"},
        },
    )
    assert response.status_code == 201 and response.get_json()["cycle_id"] == ours.id


def test_author_edits_and_offers_the_example(api, app, world, example):
    anna = api(world.anna)
    offered = anna.post(f"/examples/{example.id}/offer")
    assert offered.status_code == 200
    assert offered.get_json()["is_offered"] is True and offered.get_json()["offered_at"]
    edited = anna.put(f"/examples/{example.id}", json={**GOOD, "title": "Ny overskrift"})
    assert edited.status_code == 200
    assert edited.get_json()["title"] == "Ny overskrift"
    assert edited.get_json()["is_offered"] is True  # omitted: unchanged
    withdrawn = anna.delete(f"/examples/{example.id}/offer")
    assert withdrawn.get_json()["is_offered"] is False
    assert withdrawn.get_json()["offered_at"] is None
    stored = load(app, world.tenant, Example, example.id)
    assert (stored.title, stored.kind, stored.is_offered) == (
        "Ny overskrift",
        ExampleKind.GOOD,
        False,
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("bo", 403),
        ("leader", 403),
        ("emil", 404),
        ("hr", 404),
        ("admin", 404),
    ],
)
def test_only_the_author_edits_or_offers(api, app, world, example, who, status):
    caller = api(getattr(world, who))
    assert caller.put(f"/examples/{example.id}", json=GOOD).status_code == status
    assert caller.post(f"/examples/{example.id}/offer").status_code == status
    stored = load(app, world.tenant, Example, example.id)
    assert stored.title == "Annas eksempel" and stored.is_offered is False


def test_bad_edits_change_nothing(api, app, world, example):
    response = api(world.anna).put(f"/examples/{example.id}", json={**GOOD, "kind": "lesson"})
    assert error_of(response)["fields"] == {"lesson": "Skriv, hvad I lærte af det."}
    assert load(app, world.tenant, Example, example.id).title == "Annas eksempel"


def test_another_tenants_example_is_404(api, make, world):
    theirs = make.example(world.stranger_tenant, world.stranger_unit, world.stranger)
    for user in (world.anna, world.hr, world.admin):
        assert api(user).get(f"/examples/{theirs.id}").status_code == 404
        assert api(user).put(f"/examples/{theirs.id}", json=GOOD).status_code == 404
        assert api(user).post(f"/examples/{theirs.id}/offer").status_code == 404
