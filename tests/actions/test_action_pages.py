"""The action pages: who may do what, the forms' messages, and nothing half-saved."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from web.cycles.models import Action, ActionStatus, Phase
from web.extensions import db
from web.tenancy import tenant_scope


def today():
    return datetime.now(ZoneInfo("Europe/Copenhagen")).date()


class Rows:
    """Reads what the requests wrote, in the world's tenant."""

    def __init__(self, app, world):
        self.app, self.world = app, world

    def action(self, action_id: int) -> Action:
        with self.app.app_context(), tenant_scope(self.world.tenant.id):
            return db.session.get(Action, action_id, populate_existing=True)

    def count(self) -> int:
        with self.app.app_context(), tenant_scope(self.world.tenant.id):
            return db.session.scalar(select(func.count()).select_from(Action))


@pytest.fixture
def rows(app, world) -> Rows:
    return Rows(app, world)


@pytest.fixture
def agreeing(world, make):
    return make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.AGREEMENTS)


def form(world, **overrides):
    data = {
        "text": "Vi prøver en ny mødeform",
        "owner_id": str(world.bo.id),
        "due_on": (today() + timedelta(days=10)).isoformat(),
        "expectation": "context",
        "kkc": "commitment",
    }
    data.update(overrides)
    return data


def test_leader_records_an_action_through_the_form(world, agreeing, login, rows):
    client = login(world.leader)
    page = client.get(world.url(f"/cycles/{agreeing.id}/actions/new"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="csrf_token"' in html
    assert '<label class="form-label" for="text">' in html
    assert f'<option value="{world.bo.id}">Bo Berg</option>' in html
    assert "Dina Dahl" not in html  # another team
    reply = client.post(world.url(f"/cycles/{agreeing.id}/actions/new"), data=form(world))
    assert reply.status_code == 302
    assert reply.headers["Location"].endswith(f"/cycles/{agreeing.id}/actions")
    listing = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "Handlingen er gemt." in listing
    assert "Vi prøver en ny mødeform" in listing
    assert "Bo Berg" in listing
    assert "Påvirk den sammenhæng, du indgår i, positivt" in listing
    assert rows.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"text": ""}, "text", "Skal udfyldes."),
        ({"text": "x" * 1001}, "text", "Højst 1000 tegn (du har skrevet 1001)."),
        ({"owner_id": ""}, "owner_id", "Vælg en ansvarlig."),
        ({"due_on": "2001-01-01"}, "due_on", "Fristen kan ikke ligge før i dag."),
        ({"due_on": "i morgen"}, "due_on", "Skriv datoen som åååå-mm-dd."),
        ({"expectation": "obey"}, "expectation", "Ugyldigt valg."),
        ({"kkc": "nope"}, "kkc", "Ugyldigt valg."),
    ],
)
def test_each_bad_input_gets_a_message_at_its_field(
    world, agreeing, login, overrides, field, message, rows
):
    client = login(world.leader)
    reply = client.post(
        world.url(f"/cycles/{agreeing.id}/actions/new"), data=form(world, **overrides)
    )
    assert reply.status_code == 422
    html = reply.get_data(as_text=True)
    assert f'<span class="form-error-message" id="{field}-error">' in html
    assert message in html
    tag = re.search(rf'<(?:input|select|textarea)[^>]*id="{field}"[^>]*>', html).group(0)
    assert f"{field}-error" in tag.split("aria-describedby=")[1]
    assert 'aria-invalid="true"' in tag
    assert rows.count() == 0


def test_an_owner_outside_the_team_is_refused(world, agreeing, login, rows):
    client = login(world.leader)
    reply = client.post(
        world.url(f"/cycles/{agreeing.id}/actions/new"),
        data=form(world, owner_id=str(world.dina.id)),
    )
    assert reply.status_code == 422
    assert "Den ansvarlige skal være med i teamet." in reply.get_data(as_text=True)
    assert rows.count() == 0


def test_the_form_answers_in_english_too(world, agreeing, login):
    client = login(world.leader)
    client.post("/lang/en", data={"next": "/"})
    reply = client.post(world.url(f"/cycles/{agreeing.id}/actions/new"), data=form(world, text=""))
    html = reply.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Nothing has been saved. Please correct the errors below." in html
    assert "Required." in html


def test_outside_the_agreements_phase_there_is_no_form(world, make, login, rows):
    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.MEETING)
    client = login(world.leader)
    reply = client.get(world.url(f"/cycles/{cycle.id}/actions/new"))
    assert reply.status_code == 302
    reply = client.post(world.url(f"/cycles/{cycle.id}/actions/new"), data=form(world))
    assert reply.status_code == 302
    assert rows.count() == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("leader", 200),
        ("area_leader", 200),  # leads the team, or a unit above it
        ("anna", 403),  # in the team, but not its leader
        ("hr", 403),
        ("admin", 403),  # may see the cycle, not manage it
        ("other_leader", 404),
        ("dina", 404),
        ("hovedudvalg", 404),  # may not even see it
    ],
)
def test_who_may_record_actions(world, agreeing, login, who, status, rows):
    client = login(getattr(world, who))
    assert client.get(world.url(f"/cycles/{agreeing.id}/actions/new")).status_code == status
    reply = client.post(world.url(f"/cycles/{agreeing.id}/actions/new"), data=form(world))
    assert reply.status_code == (302 if status == 200 else status)
    assert rows.count() == (1 if status == 200 else 0)


def test_signed_out_is_401_and_another_tenant_is_404(world, agreeing, client, login):
    assert client.get(world.url(f"/cycles/{agreeing.id}/actions")).status_code == 401
    login(world.stranger)
    other = f"/t/{world.other_tenant.slug}"
    assert client.get(f"{other}/cycles/{agreeing.id}/actions").status_code == 404
    assert client.get(f"{other}/cycles/{agreeing.id}/actions/new").status_code == 404
    # Signed in to another tenant is not signed in here.
    assert client.get(world.url(f"/cycles/{agreeing.id}/actions")).status_code == 401


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("leader", 200),
        ("anna", 200),
        ("bo", 200),
        ("area_leader", 200),
        ("hr", 403),
        ("admin", 403),
        ("other_leader", 404),
        ("dina", 404),
        ("hovedudvalg", 404),
    ],
)
def test_who_sees_the_cycles_actions(world, agreeing, make, login, who, status):
    make.action(world.tenant, agreeing, world.anna, text="Fælles tjekliste")
    reply = login(getattr(world, who)).get(world.url(f"/cycles/{agreeing.id}/actions"))
    assert reply.status_code == status
    if status == 200:
        assert "Fælles tjekliste" in reply.get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anna", 302),
        ("leader", 302),
        ("area_leader", 302),  # the owner, or a leader
        ("bo", 403),
        ("hr", 403),
        ("admin", 403),
        ("dina", 403),
        ("hovedudvalg", 403),
    ],
)
def test_the_owner_or_the_leader_updates_the_status(
    world, agreeing, make, login, rows, who, status
):
    action = make.action(world.tenant, agreeing, world.anna)
    reply = login(getattr(world, who)).post(
        world.url(f"/actions/{action.id}/status"), data={"status": "in_progress"}
    )
    assert reply.status_code == status
    expected = ActionStatus.IN_PROGRESS if status == 302 else ActionStatus.PLANNED
    assert rows.action(action.id).status == expected


def test_an_invalid_status_is_refused_with_a_message(world, agreeing, make, login, rows):
    action = make.action(world.tenant, agreeing, world.anna)
    client = login(world.anna)
    reply = client.post(
        world.url(f"/actions/{action.id}/status"),
        data={"status": "finished"},
        follow_redirects=True,
    )
    assert "Ugyldigt valg." in reply.get_data(as_text=True)
    assert rows.action(action.id).status == ActionStatus.PLANNED


def test_status_from_my_actions_returns_there(world, agreeing, make, login, rows):
    action = make.action(world.tenant, agreeing, world.anna)
    reply = login(world.anna).post(
        world.url(f"/actions/{action.id}/status"), data={"status": "done", "next": "mine"}
    )
    assert reply.headers["Location"].endswith("/actions/mine")


def test_another_tenants_action_is_404(world, agreeing, make, login, rows):
    action = make.action(world.tenant, agreeing, world.anna)
    client = login(world.stranger)
    other = f"/t/{world.other_tenant.slug}"
    assert (
        client.post(f"{other}/actions/{action.id}/status", data={"status": "done"}).status_code
        == 404
    )
    assert client.get(f"{other}/actions/{action.id}/edit").status_code == 404
    assert client.get(f"{other}/actions/{action.id}/follow-up").status_code == 404
    assert client.post(f"{other}/actions/{action.id}/delete").status_code == 404
    assert rows.action(action.id).status == ActionStatus.PLANNED


def test_leader_edits_and_deletes(world, agreeing, make, login, rows):
    action = make.action(world.tenant, agreeing, world.anna, text="Gammel tekst")
    client = login(world.leader)
    page = client.get(world.url(f"/actions/{action.id}/edit"))
    assert "Gammel tekst" in page.get_data(as_text=True)
    reply = client.post(
        world.url(f"/actions/{action.id}/edit"),
        data=form(world, text="Ny tekst", owner_id=str(world.carl.id)),
    )
    assert reply.status_code == 302
    changed = rows.action(action.id)
    assert (changed.text, changed.owner_id) == ("Ny tekst", world.carl.id)
    bad = client.post(
        world.url(f"/actions/{action.id}/edit"),
        data=form(world, owner_id=str(world.dina.id), text="Ikke gemt"),
    )
    assert bad.status_code == 422
    assert rows.action(action.id).text == "Ny tekst"
    assert login(world.anna).get(world.url(f"/actions/{action.id}/edit")).status_code == 403
    assert login(world.anna).post(world.url(f"/actions/{action.id}/delete")).status_code == 403
    client = login(world.leader)
    assert client.post(world.url(f"/actions/{action.id}/delete")).status_code == 302
    assert rows.count() == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("bo", 302),
        ("anna", 302),
        ("leader", 302),  # the team
        ("hr", 403),
        ("admin", 403),
        ("dina", 403),
        ("hovedudvalg", 403),
    ],
)
def test_the_team_records_the_follow_up(world, make, login, who, status, rows):
    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.FOLLOW_UP)
    action = make.action(world.tenant, cycle, world.anna)
    reply = login(getattr(world, who)).post(
        world.url(f"/actions/{action.id}/follow-up"),
        data={"outcome": "Vi holdt det i fire uger", "learning": "Korte møder virker"},
    )
    assert reply.status_code == status
    saved = rows.action(action.id)
    if status == 302:
        assert (saved.outcome, saved.learning) == ("Vi holdt det i fire uger", "Korte møder virker")
    else:
        assert saved.outcome is None


def test_follow_up_errors_are_shown_and_nothing_is_saved(world, make, login, rows):
    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.FOLLOW_UP)
    action = make.action(world.tenant, cycle, world.anna)
    client = login(world.bo)
    reply = client.post(
        world.url(f"/actions/{action.id}/follow-up"), data={"outcome": "", "learning": "y" * 4001}
    )
    assert reply.status_code == 422
    html = reply.get_data(as_text=True)
    assert 'id="outcome-error"' in html and 'id="learning-error"' in html
    saved = rows.action(action.id)
    assert saved.outcome is None and saved.learning is None


def test_follow_up_waits_for_the_follow_up_phase(world, agreeing, make, login, rows):
    action = make.action(world.tenant, agreeing, world.anna)
    reply = login(world.bo).post(
        world.url(f"/actions/{action.id}/follow-up"), data={"outcome": "For tidligt"}
    )
    assert reply.status_code == 302
    assert rows.action(action.id).outcome is None


def test_my_actions_lists_only_mine_with_overdue_marked(world, agreeing, make, login):
    make.action(
        world.tenant, agreeing, world.anna, text="Annas gamle", due_on=today() - timedelta(days=2)
    )
    make.action(world.tenant, agreeing, world.anna, text="Annas nye")
    make.action(world.tenant, agreeing, world.bo, text="Bos handling")
    html = login(world.anna).get(world.url("/actions/mine")).get_data(as_text=True)
    assert "Annas gamle" in html and "Annas nye" in html
    assert "Bos handling" not in html
    assert html.index("Annas gamle") < html.index("Annas nye")
    assert "Overskredet" in html
    assert "<caption>" in html and 'scope="col"' in html


def test_my_actions_needs_a_signed_in_user(world, client):
    assert client.get(world.url("/actions/mine")).status_code == 401
