"""A tenant admin erases a person: answers pseudonymised, actions reassigned, user deactivated."""

from __future__ import annotations

from sqlalchemy import select

from tests.gdpr.teams import answers
from web.audit.models import AuditEntry
from web.cycles.models import Action, Contribution, Participation, Visibility
from web.examples.models import Example
from web.extensions import db
from web.orgs.models import Membership
from web.users.models import User


def test_admin_erases_a_person(team, make, login):
    ids = answers(make, team.tenant, team.recent, team.anna, "Annas svar")
    action = make.action(team.tenant, team.recent, team.anna)
    example = make.example(team.tenant, team.unit, team.anna)
    make.participation(team.tenant, team.recent, team.anna)
    client = login(team.admin)
    listing = client.get("/t/solby/admin/people").get_data(as_text=True)
    assert "Anna Andersen" in listing
    assert client.get(f"/t/solby/admin/people/{team.anna.id}/erase").status_code == 200

    refused = client.post(f"/t/solby/admin/people/{team.anna.id}/erase", data={})
    assert refused.status_code == 422
    assert "Sæt kryds for at bekræfte" in refused.get_data(as_text=True)
    with make.scope(team.tenant):
        assert db.session.get(User, team.anna.id).is_active  # nothing changed

    done = client.post(f"/t/solby/admin/people/{team.anna.id}/erase", data={"confirm": "yes"})
    assert done.status_code == 302 and done.location.endswith("/t/solby/admin/people")
    assert "Personens oplysninger er slettet." in client.get(done.location).get_data(as_text=True)
    with make.scope(team.tenant):
        anna = db.session.get(User, team.anna.id)
        assert (anna.is_active, anna.display_name, anna.email) == (False, "Slettet person", None)
        assert anna.subject.startswith("erased-")
        rows = {c.id: c for c in db.session.scalars(select(Contribution))}
        assert rows[ids[Visibility.PRIVATE]].text == ""
        assert rows[ids[Visibility.NAMED]].text == "Annas svar named"
        assert all(rows[i].author_id is None for i in ids.values())
        assert db.session.get(Action, action.id).owner_id == team.leader.id
        assert db.session.get(Example, example.id).author_id is None
        assert db.session.scalars(select(Membership).filter_by(user_id=anna.id)).all() == []
        assert db.session.scalars(select(Participation).filter_by(user_id=anna.id)).all()
        entry = db.session.scalars(select(AuditEntry).filter_by(event="gdpr.person_erased")).one()
    assert (entry.actor_id, entry.target_id) == (team.admin.id, team.anna.id)
    assert entry.details["actions_reassigned"] == 1 and entry.details["private_texts_deleted"] == 1
    assert "Anna" not in client.get("/t/solby/admin/people").get_data(as_text=True)
    again = client.post(f"/t/solby/admin/people/{team.anna.id}/erase", data={"confirm": "yes"})
    assert again.status_code == 422 and "allerede slettet" in again.get_data(as_text=True)


def test_without_a_leader_the_action_has_no_owner_and_no_self_erasure(team, make, login):
    action = make.action(team.tenant, team.recent, team.leader)
    client = login(team.admin)
    assert (
        client.post(
            f"/t/solby/admin/people/{team.leader.id}/erase", data={"confirm": "yes"}
        ).status_code
        == 302
    )
    with make.scope(team.tenant):
        assert db.session.get(Action, action.id).owner_id is None
    mine = client.post(f"/t/solby/admin/people/{team.admin.id}/erase", data={"confirm": "yes"})
    assert mine.status_code == 422 and "dine egne oplysninger" in mine.get_data(as_text=True)


def test_only_admins_and_only_their_own_tenant(team, login):
    assert login(team.leader).get("/t/solby/admin/people").status_code == 403
    assert (
        login(team.leader)
        .post(f"/t/solby/admin/people/{team.anna.id}/erase", data={"confirm": "yes"})
        .status_code
        == 403
    )
    admin = login(team.admin)
    assert (
        admin.post(
            f"/t/solby/admin/people/{team.neighbour_user.id}/erase", data={"confirm": "yes"}
        ).status_code
        == 404
    )
