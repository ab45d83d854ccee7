"""Answers, the team's shared answers and the conclusions through the API.

What must never happen: a private answer seen by anyone but its author; the author of an
anonymous answer revealed (no author field, nothing derived from one).
"""

from __future__ import annotations

import json

import pytest

from tests.api.client import count, error_of
from web.cycles.models import Conclusion, Contribution, Cycle, Participation
from web.extensions import db


@pytest.fixture
def cycle(make, world):
    return make.started_cycle(world.tenant, world.team, world.leader)


def prompt_ids(cycle) -> list[int]:
    return [p.id for p in cycle.prompts]


def answer(api, user, cycle, n: int, text: str, visibility: str):
    response = api(user).post(
        f"/cycles/{cycle.id}/contributions",
        json={"prompt_id": prompt_ids(cycle)[n], "text": text, "visibility": visibility},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def move(api, world, cycle, phase: str) -> None:
    response = api(world.leader).post(f"/cycles/{cycle.id}/phase", json={"to_phase": phase})
    assert response.status_code == 200, response.get_json()


def test_member_answers_lists_changes_and_withdraws(api, app, world, cycle):
    anna = api(world.anna)
    created = answer(api, world.anna, cycle, 0, "  Når vi får lov at prøve  ", "named")
    assert created["text"] == "Når vi får lov at prøve" and created["visibility"] == "named"
    assert [a["id"] for a in anna.get(f"/cycles/{cycle.id}/contributions").get_json()["items"]] == [
        created["id"]
    ]
    assert count(app, world.tenant, Participation) == 1

    changed = anna.patch(f"/contributions/{created['id']}", json={"visibility": "private"})
    assert changed.status_code == 200
    assert changed.get_json()["visibility"] == "private"
    assert changed.get_json()["text"] == "Når vi får lov at prøve"
    again = anna.post(
        f"/cycles/{cycle.id}/contributions",
        json={"prompt_id": prompt_ids(cycle)[0], "text": "Igen", "visibility": "named"},
    )
    assert again.status_code == 409

    withdrawn = anna.delete(f"/contributions/{created['id']}")
    assert withdrawn.status_code == 204 and withdrawn.get_data() == b""
    assert anna.get(f"/cycles/{cycle.id}/contributions").get_json()["items"] == []
    assert count(app, world.tenant, Participation) == 0


@pytest.mark.parametrize("who", ["bo", "leader", "department_leader", "hr", "admin", "emil"])
def test_nobody_else_reaches_a_members_answer(api, world, cycle, who):
    mine = answer(api, world.anna, cycle, 0, "Mit private svar", "private")
    caller = api(getattr(world, who))
    assert caller.patch(f"/contributions/{mine['id']}", json={"text": "Hacket"}).status_code == 404
    assert caller.delete(f"/contributions/{mine['id']}").status_code == 404
    listing = caller.get(f"/cycles/{cycle.id}/contributions")
    assert "Mit private svar" not in listing.get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("hr", 403),
        ("admin", 403),
        ("emil", 404),
        ("other_leader", 404),
        ("hovedudvalg", 404),
    ],
)
def test_only_members_answer(api, app, world, cycle, who, status):
    response = api(getattr(world, who)).post(
        f"/cycles/{cycle.id}/contributions",
        json={"prompt_id": prompt_ids(cycle)[0], "text": "Svar", "visibility": "named"},
    )
    assert response.status_code == status
    assert count(app, world.tenant, Contribution) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({"text": 42}, "text"),
        ({"visibility": "everyone"}, "visibility"),
        ({"visibility": None}, "visibility"),
        ({"prompt_id": "1"}, "prompt_id"),
        ({"prompt_id": 2**40}, "prompt_id"),
    ],
)
def test_bad_answers_save_nothing(api, app, world, cycle, change, field):
    body = {"prompt_id": prompt_ids(cycle)[0], "text": "Svar", "visibility": "named", **change}
    response = api(world.anna).post(f"/cycles/{cycle.id}/contributions", json=body)
    assert response.status_code == 422
    assert field in error_of(response)["fields"]
    assert count(app, world.tenant, Contribution) == 0
    assert count(app, world.tenant, Participation) == 0


def test_a_prompt_of_another_cycle_is_refused(api, app, make, world, cycle):
    other = make.started_cycle(world.tenant, world.other_team, world.other_leader)
    response = api(world.anna).post(
        f"/cycles/{cycle.id}/contributions",
        json={"prompt_id": prompt_ids(other)[0], "text": "Svar", "visibility": "named"},
    )
    assert error_of(response)["fields"] == {"prompt_id": "Spørgsmålet hører ikke til forløbet."}
    assert count(app, world.tenant, Contribution) == 0


def test_an_empty_change_is_refused(api, world, cycle):
    mine = answer(api, world.anna, cycle, 0, "Svar", "named")
    response = api(world.anna).patch(f"/contributions/{mine['id']}", json={})
    assert response.status_code == 422 and error_of(response)["fields"] == {
        "body": "Angiv mindst ét felt."
    }


def test_answers_are_closed_once_the_meeting_begins(api, world, cycle):
    mine = answer(api, world.anna, cycle, 0, "Svar", "named")
    move(api, world, cycle, "meeting")
    anna = api(world.anna)
    for response in (
        anna.post(
            f"/cycles/{cycle.id}/contributions",
            json={"prompt_id": prompt_ids(cycle)[1], "text": "Sent", "visibility": "named"},
        ),
        anna.patch(f"/contributions/{mine['id']}", json={"text": "Rettet"}),
        anna.delete(f"/contributions/{mine['id']}"),
    ):
        assert response.status_code == 409
        assert "Dialogmødet er begyndt" in error_of(response)["message"]


def test_the_meeting_shows_shared_answers_and_never_an_anonymous_author(api, world, cycle):
    answer(api, world.anna, cycle, 0, "Anonym tanke fra en kollega", "anonymous")
    answer(api, world.bo, cycle, 0, "Navngivet tanke", "named")
    answer(api, world.carl, cycle, 0, "Carls private tanke", "private")
    early = api(world.leader).get(f"/cycles/{cycle.id}/answers").get_json()
    assert all(p["answers"] == [] for p in early["prompts"])

    move(api, world, cycle, "meeting")
    for who in ("leader", "anna", "bo", "carl", "department_leader"):
        response = api(getattr(world, who)).get(f"/cycles/{cycle.id}/answers")
        assert response.status_code == 200
        first = response.get_json()["prompts"][0]
        assert first["prompt_id"] == prompt_ids(cycle)[0]
        assert first["answers"] == [
            {"text": "Navngivet tanke", "author_name": "Bo Bech"},
            {"text": "Anonym tanke fra en kollega"},
        ]
        raw = response.get_data(as_text=True)
        assert "Carls private tanke" not in raw
        assert "Anna" not in raw and "Carl" not in raw


def test_a_sealed_anonymous_answer_is_no_longer_anyones(api, world, cycle):
    mine = answer(api, world.anna, cycle, 0, "Anonymt", "anonymous")
    move(api, world, cycle, "meeting")
    anna = api(world.anna)
    assert anna.get(f"/cycles/{cycle.id}/contributions").get_json()["items"] == []
    assert anna.patch(f"/contributions/{mine['id']}", json={"text": "x"}).status_code == 404
    listing = anna.get(f"/cycles/{cycle.id}/answers").get_json()
    item = listing["prompts"][0]["answers"][0]
    assert item == {"text": "Anonymt"}
    assert not any(key for key in json.dumps(listing).split('"') if "author" in key)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("hr", 403),
        ("admin", 403),
        ("emil", 404),
        ("other_leader", 404),
        ("hovedudvalg", 404),
    ],
)
def test_people_outside_the_team_never_read_its_answers(api, world, cycle, who, status):
    answer(api, world.bo, cycle, 0, "Navngivet", "named")
    move(api, world, cycle, "meeting")
    caller = api(getattr(world, who))
    for path in ("answers", "conclusions", "actions"):
        response = caller.get(f"/cycles/{cycle.id}/{path}")
        assert response.status_code == status
        assert "Navngivet" not in response.get_data(as_text=True)


def test_facilitator_records_conclusions_the_team_reads_them(api, app, make, world, cycle):
    with make.scope(world.tenant):
        db.session.get(Cycle, cycle.id).facilitator_id = world.anna.id
    move(api, world, cycle, "meeting")
    first, second = prompt_ids(cycle)[:2]
    response = api(world.anna).put(
        f"/cycles/{cycle.id}/conclusions",
        json={
            "conclusions": [
                {"prompt_id": second, "text": "Vi prøver fredagsmøder"},
                {"prompt_id": first, "text": " Vi deler viden "},
            ]
        },
    )
    assert response.status_code == 200, response.get_json()
    assert [(c["prompt_id"], c["text"]) for c in response.get_json()["items"]] == [
        (first, "Vi deler viden"),
        (second, "Vi prøver fredagsmøder"),
    ]
    read = api(world.bo).get(f"/cycles/{cycle.id}/conclusions").get_json()["items"]
    assert len(read) == 2
    removed = api(world.leader).put(
        f"/cycles/{cycle.id}/conclusions", json={"conclusions": [{"prompt_id": first, "text": ""}]}
    )
    assert [c["prompt_id"] for c in removed.get_json()["items"]] == [second]
    assert count(app, world.tenant, Conclusion) == 1


@pytest.mark.parametrize(("who", "status"), [("bo", 403), ("hr", 403), ("emil", 404)])
def test_only_facilitators_record_conclusions(api, world, cycle, who, status):
    move(api, world, cycle, "meeting")
    response = api(getattr(world, who)).put(
        f"/cycles/{cycle.id}/conclusions",
        json={"conclusions": [{"prompt_id": prompt_ids(cycle)[0], "text": "Nej"}]},
    )
    assert response.status_code == status


def test_bad_conclusions_save_nothing(api, app, make, world, cycle):
    other = make.started_cycle(world.tenant, world.other_team, world.other_leader)
    leader = api(world.leader)
    first = prompt_ids(cycle)[0]
    early = leader.put(
        f"/cycles/{cycle.id}/conclusions",
        json={"conclusions": [{"prompt_id": first, "text": "Tidligt"}]},
    )
    assert early.status_code == 409
    move(api, world, cycle, "meeting")
    for body, field in [
        (
            {
                "conclusions": [
                    {"prompt_id": first, "text": "ok"},
                    {"prompt_id": first, "text": "x" * 4001},
                ]
            },
            "conclusions.1.text",
        ),
        (
            {"conclusions": [{"prompt_id": prompt_ids(other)[0], "text": "ok"}]},
            "conclusions.0.prompt_id",
        ),
        (
            {"conclusions": [{"prompt_id": first, "text": "a"}, {"prompt_id": first, "text": "b"}]},
            "conclusions.1.prompt_id",
        ),
        ({"conclusions": {"prompt_id": first}}, "conclusions"),
    ]:
        response = leader.put(f"/cycles/{cycle.id}/conclusions", json=body)
        assert response.status_code == 422, body
        assert field in error_of(response)["fields"], error_of(response)
    assert count(app, world.tenant, Conclusion) == 0


def test_service_errors_are_mapped_to_the_api_fields(api, app, world, cycle, monkeypatch):
    """A limit checked only by the service still comes back at the API's field name."""
    from web.cycles.services import meeting

    monkeypatch.setattr(meeting, "MAX_CONCLUSION", 3)
    move(api, world, cycle, "meeting")
    response = api(world.leader).put(
        f"/cycles/{cycle.id}/conclusions",
        json={"conclusions": [{"prompt_id": prompt_ids(cycle)[2], "text": "Alt for langt"}]},
    )
    assert error_of(response)["fields"] == {
        "conclusions.0.text": "Højst 3 tegn (du har skrevet 13)."
    }
    assert count(app, world.tenant, Conclusion) == 0
