"""Cycles through the API: list, one, start, phase moves; per role; bad input saves nothing."""

from __future__ import annotations

import pytest

from tests.api.client import count, error_of, load
from web.cycles.models import Cycle, Phase, PhaseChange
from web.orgs.models import UnitKind

START = {
    "preparation_starts_on": "2027-03-01",
    "preparation_ends_on": "2027-03-15",
    "meeting_at": "2027-03-18T09:00:00+01:00",
    "meeting_place": "Personalestuen",
    "follow_up_on": "2027-06-01",
}


@pytest.fixture
def cycle(make, world):
    return make.started_cycle(world.tenant, world.team, world.leader)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("anna", True),
        ("leader", True),
        ("department_leader", True),
        ("hr", True),
        ("admin", True),
        ("emil", False),
        ("other_leader", False),
        ("hovedudvalg", False),
    ],
)
def test_list_and_get_follow_view_cycle(api, world, cycle, who, sees):
    caller = api(getattr(world, who))
    assert ids(caller.get("/cycles")) == ([cycle.id] if sees else [])
    response = caller.get(f"/cycles/{cycle.id}")
    assert response.status_code == (200 if sees else 404)
    if sees:
        body = response.get_json()
        assert body["unit"] == {"id": world.team.id, "name": "Solsikken"}
        assert body["leader"] == {"id": world.leader.id, "display_name": "Lars Leder"}
        assert [p["position"] for p in body["prompts"]] == list(range(1, 10))
        assert body["moves"] == {"forward": "meeting", "back": None}
        assert body["permissions"]["manage"] == (who in ("leader", "department_leader"))
    else:
        assert error_of(response)["code"] == "not_found"


def test_list_includes_cycles_of_units_above_that_include_subunits(api, make, world):
    wide = make.cycle(
        world.tenant, world.department, leader=world.department_leader, include_subunits=True
    )
    narrow = make.cycle(world.tenant, world.area)
    assert ids(api(world.anna).get("/cycles")) == [wide.id]
    assert set(ids(api(world.hr).get("/cycles"))) == {wide.id, narrow.id}


def test_list_filters_by_phase_and_pages(api, make, world, monkeypatch):
    from web.api.views import cycles as views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    teams = [
        make.unit(world.tenant, f"Team {n}", UnitKind.TEAM, parent=world.department)
        for n in range(3)
    ]
    made = [
        make.cycle(world.tenant, t, phase=Phase.MEETING if n else Phase.CLOSED)
        for n, t in enumerate(teams)
    ]
    hr = api(world.hr)
    first = hr.get("/cycles").get_json()
    assert [c["id"] for c in first["items"]] == [made[2].id, made[1].id]
    assert first["next_page"] == 2
    second = hr.get("/cycles?page=2").get_json()
    assert [c["id"] for c in second["items"]] == [made[0].id] and second["next_page"] is None
    assert ids(hr.get("/cycles?phase=closed")) == [made[0].id]
    bad = hr.get("/cycles?phase=later&page=0")
    assert bad.status_code == 422
    assert set(error_of(bad)["fields"]) == {"phase", "page"}


def test_another_tenants_cycle_is_404_for_everyone(api, make, world):
    theirs = make.cycle(world.stranger_tenant, world.stranger_unit, leader=world.stranger)
    for user in (world.hr, world.admin, world.leader):
        response = api(user).get(f"/cycles/{theirs.id}")
        assert response.status_code == 404
        assert (
            api(user).post(f"/cycles/{theirs.id}/phase", json={"to_phase": "meeting"}).status_code
            == 404
        )
    assert api(world.stranger, world.stranger_tenant).get(f"/cycles/{theirs.id}").status_code == 200


def test_leader_starts_a_cycle(api, app, world):
    response = api(world.leader).post("/cycles", json={"unit_id": world.team.id, **START})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["phase"] == "preparation" and body["leader"]["id"] == world.leader.id
    assert body["meeting_at"] == "2027-03-18T08:00:00Z"
    assert body["meeting_place"] == "Personalestuen"
    assert len(body["prompts"]) == 9 and body["prompts"][0]["kind"] == "sentence"
    assert count(app, world.tenant, Cycle) == 1


@pytest.mark.parametrize("who", ["anna", "other_leader", "hr", "admin", "hovedudvalg"])
def test_only_leaders_of_the_unit_start_cycles(api, world, who):
    response = api(getattr(world, who)).post("/cycles", json={"unit_id": world.team.id, **START})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_a_unit_of_another_tenant_is_refused_like_any_unit_one_does_not_lead(api, world):
    response = api(world.leader).post("/cycles", json={"unit_id": world.stranger_unit.id, **START})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"preparation_ends_on": "2027-02-01"}, "preparation_ends_on"),
        ({"meeting_at": "2027-03-10T09:00:00+01:00"}, "meeting_at"),
        ({"follow_up_on": "2027-03-17"}, "follow_up_on"),
        ({"meeting_place": "x" * 201}, "meeting_place"),
        ({"meeting_place": "a\u0000b"}, "meeting_place"),
        ({"meeting_at": "2027-03-18T09:00:00"}, "meeting_at"),
        ({"preparation_starts_on": "1999-12-31"}, "preparation_starts_on"),
        ({"preparation_starts_on": "1. marts"}, "preparation_starts_on"),
        ({"unit_id": "1"}, "unit_id"),
        ({"include_subunits": "yes"}, "include_subunits"),
        ({"template_id": 0}, "template_id"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_input_starts_nothing(api, app, world, change, field):
    response = api(world.leader).post("/cycles", json={"unit_id": world.team.id, **START, **change})
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert field in error["fields"], error
    assert count(app, world.tenant, Cycle) == 0


def test_missing_fields_are_named(api, world):
    response = api(world.leader).post("/cycles", json={"unit_id": world.team.id})
    assert error_of(response)["fields"] == {
        "preparation_starts_on": "Skal udfyldes.",
        "preparation_ends_on": "Skal udfyldes.",
    }


def test_over_long_text_says_how_long_in_english_too(api, world):
    response = api(world.leader).post(
        "/cycles",
        json={"unit_id": world.team.id, **START, "meeting_place": "x" * 250},
        headers={"Accept-Language": "en"},
    )
    assert (
        error_of(response)["fields"]["meeting_place"]
        == "At most 200 characters (you have written 250)."
    )


def test_a_second_open_cycle_and_a_foreign_template_are_refused(api, app, make, world, cycle):
    response = api(world.leader).post("/cycles", json={"unit_id": world.team.id, **START})
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"
    theirs = make.template(world.stranger_tenant)
    response = api(world.other_leader).post(
        "/cycles", json={"unit_id": world.other_team.id, "template_id": theirs.id, **START}
    )
    assert error_of(response)["fields"] == {"template_id": "Vælg en skabelon."}
    assert count(app, world.tenant, Cycle) == 1


def test_malformed_bodies(api, world):
    leader = api(world.leader)
    broken = leader.post("/cycles", data="{", content_type="application/json")
    assert broken.status_code == 400 and error_of(broken)["code"] == "invalid_json"
    form = leader.post("/cycles", data={"unit_id": "1"})
    assert form.status_code == 415 and error_of(form)["code"] == "unsupported_media_type"
    listing = leader.post("/cycles", json=[1, 2])
    assert listing.status_code == 422 and "body" in error_of(listing)["fields"]
    huge = leader.post("/cycles", data="x" * 300_000, content_type="application/json")
    assert huge.status_code == 413


def test_leader_moves_forward_and_back_with_a_reason(api, app, world, cycle):
    leader = api(world.leader)
    response = leader.post(
        f"/cycles/{cycle.id}/phase", json={"to_phase": "meeting", "from_phase": "preparation"}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["phase"] == "meeting"
    assert response.get_json()["moves"] == {"forward": "agreements", "back": "preparation"}
    no_reason = leader.post(f"/cycles/{cycle.id}/phase", json={"to_phase": "preparation"})
    assert no_reason.status_code == 422 and "reason" in error_of(no_reason)["fields"]
    back = leader.post(
        f"/cycles/{cycle.id}/phase", json={"to_phase": "preparation", "reason": "Mødet blev aflyst"}
    )
    assert back.get_json()["phase"] == "preparation"
    assert count(app, world.tenant, PhaseChange) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"to_phase": "agreements"},  # two steps
        {"to_phase": "closed"},
        {"to_phase": "meeting", "from_phase": "meeting"},  # moved since the caller looked
    ],
)
def test_moves_the_phase_does_not_allow_are_conflicts(api, app, world, cycle, body):
    response = api(world.leader).post(f"/cycles/{cycle.id}/phase", json=body)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "conflict" and error["message"]
    assert load(app, world.tenant, Cycle, cycle.id).phase == Phase.PREPARATION
    assert count(app, world.tenant, PhaseChange) == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anna", 403),
        ("hr", 403),
        ("admin", 403),
        ("other_leader", 404),
        ("hovedudvalg", 404),
        ("department_leader", 200),
    ],
)
def test_only_managers_move_phases(api, world, cycle, who, status):
    response = api(getattr(world, who)).post(
        f"/cycles/{cycle.id}/phase", json={"to_phase": "meeting"}
    )
    assert response.status_code == status


def test_phase_values_are_checked_at_the_edge(api, world, cycle):
    response = api(world.leader).post(
        f"/cycles/{cycle.id}/phase", json={"to_phase": "done", "reason": 5}
    )
    assert set(error_of(response)["fields"]) == {"to_phase", "reason"}
