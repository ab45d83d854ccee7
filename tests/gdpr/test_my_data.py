"""A person downloads their own data as JSON from "Mine data"."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.gdpr.teams import answers
from web.audit.models import AuditEntry
from web.extensions import db


def test_my_data_holds_everything_about_me_and_nothing_else(team, make, login):
    mine = answers(make, team.tenant, team.recent, team.anna, "mit svar")
    answers(make, team.tenant, team.old, team.bo, "Bos svar")
    action = make.action(team.tenant, team.recent, team.anna, text="Anna rydder op")
    make.example(team.tenant, team.unit, team.anna, title="Annas eksempel")
    client = login(team.anna)
    page = client.get("/t/solby/my-data")
    assert page.status_code == 200 and "Hent mine data" in page.get_data(as_text=True)

    response = client.get("/t/solby/my-data.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="mine-data.json"'
    data = json.loads(response.data)
    assert data["profile"]["display_name"] == "Anna Andersen"
    assert data["memberships"] == [{"unit": "Solsikken", "role": "employee", "source": "app"}]
    assert sorted(c["id"] for c in data["contributions"]) == sorted(mine.values())
    assert {c["visibility"] for c in data["contributions"]} == {"private", "named", "anonymous"}
    assert [a["text"] for a in data["actions"]] == [action.text]
    assert [e["title"] for e in data["examples"]] == ["Annas eksempel"]
    assert "Bos svar" not in response.get_data(as_text=True)
    with make.scope(team.tenant):
        entry = db.session.scalars(select(AuditEntry).filter_by(event="gdpr.data_exported")).one()
    assert entry.actor_id == team.anna.id
    # The next download shows that one.
    again = json.loads(client.get("/t/solby/my-data.json").data)
    assert [e["event"] for e in again["audit_log"]] == ["gdpr.data_exported"]


def test_signed_out_or_in_another_tenant(team, client, login):
    assert client.get("/t/solby/my-data.json").status_code == 401
    assert login(team.neighbour_user).get("/t/solby/my-data.json").status_code == 401
