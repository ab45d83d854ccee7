"""Agreed actions through the API: list, record, status, follow-up; per role; bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.client import count, error_of, load
from web.cycles.models import Action, ActionStatus, Phase
from web.models import today as local_today


@pytest.fixture
def agreeing(make, world):
    return make.started_cycle(world.tenant, world.team, world.leader, phase=Phase.AGREEMENTS)


@pytest.fixture
def following_up(make, world):
    return make.started_cycle(world.tenant, world.team, world.leader, phase=Phase.FOLLOW_UP)


def new_action(**change):
    return {
        "text": "Vi holder et fredagsmøde",
        "owner_id": None,
        "due_on": (local_today() + timedelta(days=14)).isoformat(),
        "expectation": "context",
        "kkc": "coordination",
        **change,
    }


def test_leader_records_an_action_the_team_sees_it(api, world, agreeing):
    response = api(world.leader).post(
        f"/cycles/{agreeing.id}/actions", json=new_action(owner_id=world.anna.id)
    )
    assert response.status_code == 201, response.get_json()
    action = response.get_json()
    assert action["owner"] == {"id": world.anna.id, "display_name": "Anna Andersen"}
    assert action["status"] == "planned" and action["is_overdue"] is False
    assert (action["expectation"], action["kkc"]) == ("context", "coordination")
    for who in ("anna", "bo", "department_leader"):
        listed = api(getattr(world, who)).get(f"/cycles/{agreeing.id}/actions")
        assert [a["id"] for a in listed.get_json()["items"]] == [action["id"]]
    mine = api(world.anna).get("/actions/mine").get_json()["items"]
    assert [a["id"] for a in mine] == [action["id"]]
    assert api(world.bo).get("/actions/mine").get_json()["items"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 1001}, "text"),
        ({"owner_id": "emil"}, "owner_id"),
        ({"due_on": "2001-01-01"}, "due_on"),
        ({"due_on": "i morgen"}, "due_on"),
        ({"expectation": "courage"}, "expectation"),
        ({"kkc": "control"}, "kkc"),
    ],
)
def test_bad_actions_save_nothing(api, app, world, agreeing, change, field):
    body = new_action(**{"owner_id": world.anna.id, **change})
    response = api(world.leader).post(f"/cycles/{agreeing.id}/actions", json=body)
    assert response.status_code == 422
    assert field in error_of(response)["fields"], error_of(response)
    assert count(app, world.tenant, Action) == 0


@pytest.mark.parametrize("owner", ["emil", "stranger"])
def test_the_owner_must_be_in_the_team(api, app, world, agreeing, owner):
    response = api(world.leader).post(
        f"/cycles/{agreeing.id}/actions", json=new_action(owner_id=getattr(world, owner).id)
    )
    assert error_of(response)["fields"] == {"owner_id": "Den ansvarlige skal være med i teamet."}
    assert count(app, world.tenant, Action) == 0


def test_actions_are_agreed_in_the_agreements_phase(api, app, make, world):
    preparing = make.started_cycle(world.tenant, world.team, world.leader)
    response = api(world.leader).post(
        f"/cycles/{preparing.id}/actions", json=new_action(owner_id=world.anna.id)
    )
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"
    assert count(app, world.tenant, Action) == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anna", 403),
        ("hr", 403),
        ("admin", 403),
        ("other_leader", 404),
        ("emil", 404),
    ],
)
def test_only_managers_record_actions(api, app, world, agreeing, who, status):
    response = api(getattr(world, who)).post(
        f"/cycles/{agreeing.id}/actions", json=new_action(owner_id=world.anna.id)
    )
    assert response.status_code == status
    assert count(app, world.tenant, Action) == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anna", 200),
        ("leader", 200),
        ("department_leader", 200),
        ("bo", 403),
        ("hr", 403),
        ("emil", 404),
        ("other_leader", 404),
    ],
)
def test_the_owner_or_a_manager_sets_the_status(api, app, make, world, agreeing, who, status):
    action = make.action(world.tenant, agreeing, world.anna)
    response = api(getattr(world, who)).put(
        f"/actions/{action.id}/status", json={"status": "in_progress"}
    )
    assert response.status_code == status
    expected = ActionStatus.IN_PROGRESS if status == 200 else ActionStatus.PLANNED
    assert load(app, world.tenant, Action, action.id).status == expected


def test_status_changes_need_a_valid_status_and_an_open_cycle(api, app, make, world, agreeing):
    action = make.action(world.tenant, agreeing, world.anna)
    anna = api(world.anna)
    assert error_of(anna.put(f"/actions/{action.id}/status", json={"status": "finished"}))[
        "fields"
    ] == {"status": "Ugyldigt valg."}
    assert error_of(anna.put(f"/actions/{action.id}/status", json={}))["fields"] == {
        "status": "Skal udfyldes."
    }
    closed = make.cycle(world.tenant, world.other_team, phase=Phase.CLOSED)
    old = make.action(world.tenant, closed, world.emil)
    assert (
        api(world.emil).put(f"/actions/{old.id}/status", json={"status": "done"}).status_code == 409
    )
    assert load(app, world.tenant, Action, old.id).status == ActionStatus.PLANNED


def test_the_team_records_the_follow_up(api, app, make, world, following_up):
    action = make.action(world.tenant, following_up, world.anna)
    response = api(world.bo).put(
        f"/actions/{action.id}/follow-up",
        json={"outcome": "Vi holdt tre møder", "learning": "Korte møder virker"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["outcome"], body["learning"]) == ("Vi holdt tre møder", "Korte møder virker")
    without = api(world.anna).put(
        f"/actions/{action.id}/follow-up", json={"outcome": "Kun hvad der skete"}
    )
    assert without.get_json()["learning"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": ""}, "outcome"),
        ({"learning": "Noget"}, "outcome"),
        ({"outcome": "ok", "learning": "x" * 4001}, "learning"),
        ({"outcome": ["ok"]}, "outcome"),
    ],
)
def test_bad_follow_ups_save_nothing(api, app, make, world, following_up, body, field):
    action = make.action(world.tenant, following_up, world.anna)
    response = api(world.bo).put(f"/actions/{action.id}/follow-up", json=body)
    assert response.status_code == 422 and field in error_of(response)["fields"]
    assert load(app, world.tenant, Action, action.id).outcome is None


def test_follow_up_belongs_to_the_follow_up_phase(api, make, world, agreeing):
    action = make.action(world.tenant, agreeing, world.anna)
    response = api(world.anna).put(f"/actions/{action.id}/follow-up", json={"outcome": "Tidligt"})
    assert response.status_code == 409


@pytest.mark.parametrize(("who", "status"), [("hr", 403), ("emil", 404), ("hovedudvalg", 404)])
def test_outsiders_record_no_follow_up(api, make, world, following_up, who, status):
    action = make.action(world.tenant, following_up, world.anna)
    response = api(getattr(world, who)).put(
        f"/actions/{action.id}/follow-up", json={"outcome": "Udefra"}
    )
    assert response.status_code == status


def test_another_tenants_action_is_404(api, make, world):
    theirs = make.cycle(
        world.stranger_tenant, world.stranger_unit, leader=world.stranger, phase=Phase.AGREEMENTS
    )
    action = make.action(world.stranger_tenant, theirs, world.stranger)
    for user in (world.leader, world.hr, world.admin):
        caller = api(user)
        assert (
            caller.put(f"/actions/{action.id}/status", json={"status": "done"}).status_code == 404
        )
        assert (
            caller.put(f"/actions/{action.id}/follow-up", json={"outcome": "x"}).status_code == 404
        )
        assert caller.get(f"/cycles/{theirs.id}/actions").status_code == 404
        assert (
            caller.post(
                f"/cycles/{theirs.id}/actions", json=new_action(owner_id=world.anna.id)
            ).status_code
            == 404
        )
