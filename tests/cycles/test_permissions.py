"""Who may open and post each cycle page, role by role, through the test client.

Roles: an employee of the team, the team's leader, the leader of the department above, the
leader of another team, an employee of another team, HR, a Hovedudvalg member, a tenant admin,
a user of another tenant, and nobody signed in.
"""

from __future__ import annotations

import pytest

from tests.world import values_world
from web.cycles.models import Phase

ROLES = (
    "anna",
    "leader",
    "department_leader",
    "other_leader",
    "emil",
    "hr",
    "hovedudvalg",
    "admin",
)


def expect(table: dict[str, int], role: str) -> int:
    return table[role]


# Solby is built once for the module (module_db); each test, and its cycle, in a savepoint.
@pytest.fixture(scope="module")
def world(module_make):
    return values_world(module_make)


@pytest.fixture
def cycle(world, make):
    return make.started_cycle(world.tenant, world.team, world.leader)


@pytest.fixture
def meeting_cycle(world, make):
    return make.started_cycle(world.tenant, world.team, world.leader, phase=Phase.MEETING)


def get(client, login, world, role, path):
    if role is not None:
        login(getattr(world, role))
    return client.get(f"/t/{world.tenant.slug}{path}")


def post(client, login, world, role, path, data=None):
    if role is not None:
        login(getattr(world, role))
    return client.post(f"/t/{world.tenant.slug}{path}", data=data or {})


CYCLE_PAGE = {
    "anna": 200,
    "leader": 200,
    "department_leader": 200,
    "other_leader": 404,
    "emil": 404,
    "hr": 200,
    "hovedudvalg": 404,
    "admin": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_cycle_page(client, login, world, cycle, role):
    assert get(client, login, world, role, f"/cycles/{cycle.id}").status_code == CYCLE_PAGE[role]


PREPARE = {
    "anna": 200,
    "leader": 200,
    "department_leader": 403,
    "other_leader": 404,
    "emil": 404,
    "hr": 403,
    "hovedudvalg": 404,
    "admin": 403,
}


@pytest.mark.parametrize("role", ROLES)
def test_preparation_form(client, login, world, cycle, role):
    path = f"/cycles/{cycle.id}/prepare"
    assert get(client, login, world, role, path).status_code == PREPARE[role]
    reply = post(
        client,
        login,
        world,
        role,
        path,
        {f"answer-{cycle.prompts[0].id}": "Svar", f"visibility-{cycle.prompts[0].id}": "named"},
    )
    assert reply.status_code == (302 if PREPARE[role] == 200 else PREPARE[role])


MEETING_VIEW = {
    "anna": 200,
    "leader": 200,
    "department_leader": 200,
    "other_leader": 404,
    "emil": 404,
    "hr": 403,
    "hovedudvalg": 404,
    "admin": 403,
}
MEETING_POST = {
    "anna": 403,
    "leader": 302,
    "department_leader": 302,
    "other_leader": 404,
    "emil": 404,
    "hr": 403,
    "hovedudvalg": 404,
    "admin": 403,
}


@pytest.mark.parametrize("role", ROLES)
def test_meeting_view_and_conclusions(client, login, world, meeting_cycle, role):
    path = f"/cycles/{meeting_cycle.id}/meeting"
    assert get(client, login, world, role, path).status_code == MEETING_VIEW[role]
    reply = post(
        client,
        login,
        world,
        role,
        path,
        {f"conclusion-{meeting_cycle.prompts[0].id}": "Konklusion"},
    )
    assert reply.status_code == MEETING_POST[role]


def test_a_named_facilitator_may_record_conclusions(client, login, world, meeting_cycle, make):
    from web.cycles.models import Cycle
    from web.cycles.services import cycles as cycle_service
    from web.cycles.services.common import CycleDates
    from web.extensions import db

    with make.scope(world.tenant):
        c = db.session.get(Cycle, meeting_cycle.id)
        cycle_service.update_cycle(
            world.leader,
            c,
            CycleDates(c.preparation_starts_on, c.preparation_ends_on),
            world.anna.id,
        )
    reply = post(
        client,
        login,
        world,
        "anna",
        f"/cycles/{c.id}/meeting",
        {f"conclusion-{c.prompts[0].id}": "Anna skrev den"},
    )
    assert reply.status_code == 302


MANAGE = {
    "anna": 403,
    "leader": 302,
    "department_leader": 302,
    "other_leader": 404,
    "emil": 404,
    "hr": 403,
    "hovedudvalg": 404,
    "admin": 403,
}


@pytest.mark.parametrize("role", ROLES)
def test_phase_moves(client, login, world, cycle, role):
    reply = post(
        client,
        login,
        world,
        role,
        f"/cycles/{cycle.id}/phase",
        {
            "to_phase": "meeting",
            "from_phase": "preparation",
            "confirmed": "1",
            "shorten_preparation": "1",
        },
    )
    assert reply.status_code == MANAGE[role]


@pytest.mark.parametrize("role", ROLES)
def test_editing_the_cycle(client, login, world, cycle, role):
    path = f"/cycles/{cycle.id}/edit"
    status = get(client, login, world, role, path).status_code
    assert status == (200 if MANAGE[role] == 302 else MANAGE[role])
    reply = post(
        client,
        login,
        world,
        role,
        path,
        {"preparation_starts_on": "2027-03-01", "preparation_ends_on": "2027-03-10"},
    )
    assert reply.status_code == MANAGE[role]


@pytest.mark.parametrize("role", ROLES)
def test_next_cycle_page(client, login, world, make, role):
    closed = make.started_cycle(world.tenant, world.team, world.leader, phase=Phase.CLOSED)
    status = get(client, login, world, role, f"/cycles/{closed.id}/next").status_code
    assert status == (200 if MANAGE[role] == 302 else MANAGE[role])


START = {
    "anna": 403,
    "leader": 200,
    "department_leader": 200,
    "other_leader": 200,
    "emil": 403,
    "hr": 403,
    "hovedudvalg": 403,
    "admin": 403,
}


@pytest.mark.parametrize("role", ROLES)
def test_start_cycle_page(client, login, world, role):
    assert get(client, login, world, role, "/cycles/new").status_code == START[role]


def test_a_leader_cannot_start_a_cycle_for_a_unit_they_do_not_lead(client, login, world):
    reply = post(
        client,
        login,
        world,
        "other_leader",
        "/cycles/new",
        {
            "unit_id": str(world.team.id),
            "template_id": "1",
            "preparation_starts_on": "2027-03-01",
            "preparation_ends_on": "2027-03-10",
        },
    )
    assert reply.status_code in (403, 404)


TEMPLATES = {
    "anna": 403,
    "leader": 403,
    "department_leader": 403,
    "other_leader": 403,
    "emil": 403,
    "hr": 200,
    "hovedudvalg": 403,
    "admin": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_template_pages(client, login, world, make, role):
    template = make.template(world.tenant)
    assert get(client, login, world, role, "/templates").status_code == TEMPLATES[role]
    assert (
        get(client, login, world, role, f"/templates/{template.id}").status_code == TEMPLATES[role]
    )
    copy = post(client, login, world, role, f"/templates/{template.id}/copy")
    assert copy.status_code == (302 if TEMPLATES[role] == 200 else TEMPLATES[role])


CAMPAIGNS = {
    "anna": 403,
    "leader": 403,
    "department_leader": 403,
    "other_leader": 403,
    "emil": 403,
    "hr": 200,
    "hovedudvalg": 403,
    "admin": 403,
}


@pytest.mark.parametrize("role", ROLES)
def test_campaign_pages(client, login, world, role):
    assert get(client, login, world, role, "/campaigns").status_code == CAMPAIGNS[role]
    assert get(client, login, world, role, "/campaigns/new").status_code == CAMPAIGNS[role]


@pytest.mark.parametrize(
    "path",
    [
        "/cycles/{id}",
        "/cycles/{id}/prepare",
        "/cycles/{id}/meeting",
        "/cycles/{id}/edit",
        "/cycles/{id}/next",
        "/cycles/new",
        "/templates",
        "/campaigns",
    ],
)
def test_nobody_signed_in_gets_401(client, world, cycle, path):
    assert client.get(f"/t/{world.tenant.slug}{path.format(id=cycle.id)}").status_code == 401


def test_another_tenants_ids_are_404(client, login, world, cycle, make):
    """A user of another tenant, even its HR and admin, never finds this tenant's rows."""
    template = make.template(world.tenant)
    login(world.stranger)
    other = world.stranger_tenant.slug
    for path in (
        f"/cycles/{cycle.id}",
        f"/cycles/{cycle.id}/prepare",
        f"/cycles/{cycle.id}/meeting",
        f"/cycles/{cycle.id}/edit",
        f"/templates/{template.id}",
    ):
        assert client.get(f"/t/{other}{path}").status_code == 404, path
    assert (
        client.post(f"/t/{other}/cycles/{cycle.id}/phase", data={"to_phase": "meeting"}).status_code
        == 404
    )
    assert client.post(f"/t/{other}/templates/{template.id}/copy").status_code == 404
    # and their session does not count in this tenant at all
    assert client.get(f"/t/{world.tenant.slug}/cycles/{cycle.id}").status_code == 401


def test_hr_cannot_use_another_tenants_template_in_a_campaign(client, login, world, make):
    foreign = make.template(world.stranger_tenant)
    reply = post(
        client,
        login,
        world,
        "hr",
        "/campaigns/new",
        {
            "action": "start",
            "name": "Forår",
            "template_id": str(foreign.id),
            "units": str(world.area.id),
            "preparation_starts_on": "2027-03-01",
            "preparation_ends_on": "2027-03-10",
        },
    )
    assert reply.status_code == 404


def test_navigation_shows_each_role_its_entries(client, login, world):
    def nav(role):
        html = get(client, login, world, role, "/").get_data(as_text=True)
        return {label for label in ("Start forløb", "Kampagner", "Skabeloner") if label in html}

    assert nav("anna") == set()
    assert nav("leader") == {"Start forløb"}
    assert nav("hr") == {"Kampagner", "Skabeloner"}
    assert nav("admin") == {"Skabeloner"}
    assert nav("hovedudvalg") == set()
