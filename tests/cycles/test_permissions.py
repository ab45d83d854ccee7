"""Who may open and post each cycle page, role by role, through the test client.

Roles: an employee of the team, the team's leader, the leader of the department above, the
leader of another team, an employee of another team, HR, a Hovedudvalg member, a tenant admin,
a user of another tenant, and nobody signed in.
"""

from __future__ import annotations

import pytest

from tests.world import values_world
from web.cycles.models import Phase

# What each role gets, a row a role: a column a page (GET) or form (POST); MANAGE is the
# leader's own forms (phase, edit, next cycle).
# fmt: off
PAGES = ("CYCLE_PAGE", "PREPARE", "MEETING_VIEW", "MEETING_POST", "MANAGE", "START", "TEMPLATES",
         "CAMPAIGNS")
ACCESS = {
    #                     cycle prep  mview mpost manage start tmpl  camps
    "anna":               (200,  200,  200,  403,  403,  403,  403,  403),
    "leader":             (200,  200,  200,  302,  302,  200,  403,  403),
    "department_leader":  (200,  403,  200,  302,  302,  200,  403,  403),
    "other_leader":       (404,  404,  404,  404,  404,  200,  403,  403),
    "emil":               (404,  404,  404,  404,  404,  403,  403,  403),
    "hr":                 (200,  403,  403,  403,  403,  403,  200,  200),
    "hovedudvalg":        (404,  404,  404,  404,  404,  403,  403,  403),
    "admin":              (200,  403,  403,  403,  403,  403,  200,  403),
}
# fmt: on
ROLES = tuple(ACCESS)


def expect(page: str, role: str) -> int:
    return ACCESS[role][PAGES.index(page)]


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


@pytest.fixture
def get(client, login, world):
    """``get(role, path)``: the tenant's page ``path`` as ``role`` (a World field)."""

    def page(role, path):
        login(getattr(world, role))
        return client.get(f"/t/{world.tenant.slug}{path}")

    return page


@pytest.fixture
def post(client, login, world):
    """``post(role, path, data)``: the tenant's form ``path`` posted as ``role``."""

    def form(role, path, data=None):
        login(getattr(world, role))
        return client.post(f"/t/{world.tenant.slug}{path}", data=data or {})

    return form


@pytest.mark.parametrize("role", ROLES)
def test_cycle_page(get, world, cycle, role):
    assert get(role, f"/cycles/{cycle.id}").status_code == expect("CYCLE_PAGE", role)


@pytest.mark.parametrize("role", ROLES)
def test_preparation_form(get, post, world, cycle, role):
    path = f"/cycles/{cycle.id}/prepare"
    assert get(role, path).status_code == expect("PREPARE", role)
    reply = post(
        role,
        path,
        {f"answer-{cycle.prompts[0].id}": "Svar", f"visibility-{cycle.prompts[0].id}": "named"},
    )
    assert reply.status_code == (302 if expect("PREPARE", role) == 200 else expect("PREPARE", role))


@pytest.mark.parametrize("role", ROLES)
def test_meeting_view_and_conclusions(get, post, world, meeting_cycle, role):
    path = f"/cycles/{meeting_cycle.id}/meeting"
    assert get(role, path).status_code == expect("MEETING_VIEW", role)
    reply = post(role, path, {f"conclusion-{meeting_cycle.prompts[0].id}": "Konklusion"})
    assert reply.status_code == expect("MEETING_POST", role)


def test_a_named_facilitator_may_record_conclusions(post, world, meeting_cycle, make):
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
        "anna",
        f"/cycles/{c.id}/meeting",
        {f"conclusion-{c.prompts[0].id}": "Anna skrev den"},
    )
    assert reply.status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_phase_moves(post, world, cycle, role):
    reply = post(
        role,
        f"/cycles/{cycle.id}/phase",
        {
            "to_phase": "meeting",
            "from_phase": "preparation",
            "confirmed": "1",
            "shorten_preparation": "1",
        },
    )
    assert reply.status_code == expect("MANAGE", role)


@pytest.mark.parametrize("role", ROLES)
def test_editing_the_cycle(get, post, world, cycle, role):
    path = f"/cycles/{cycle.id}/edit"
    status = get(role, path).status_code
    assert status == (200 if expect("MANAGE", role) == 302 else expect("MANAGE", role))
    reply = post(
        role,
        path,
        {"preparation_starts_on": "2027-03-01", "preparation_ends_on": "2027-03-10"},
    )
    assert reply.status_code == expect("MANAGE", role)


@pytest.mark.parametrize("role", ROLES)
def test_next_cycle_page(get, world, make, role):
    closed = make.started_cycle(world.tenant, world.team, world.leader, phase=Phase.CLOSED)
    status = get(role, f"/cycles/{closed.id}/next").status_code
    assert status == (200 if expect("MANAGE", role) == 302 else expect("MANAGE", role))


@pytest.mark.parametrize("role", ROLES)
def test_start_cycle_page(get, world, role):
    assert get(role, "/cycles/new").status_code == expect("START", role)


def test_a_leader_cannot_start_a_cycle_for_a_unit_they_do_not_lead(post, world):
    reply = post(
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


@pytest.mark.parametrize("role", ROLES)
def test_template_pages(get, post, world, make, role):
    template = make.template(world.tenant)
    assert get(role, "/templates").status_code == expect("TEMPLATES", role)
    assert get(role, f"/templates/{template.id}").status_code == expect("TEMPLATES", role)
    copy = post(role, f"/templates/{template.id}/copy")
    assert copy.status_code == (
        302 if expect("TEMPLATES", role) == 200 else expect("TEMPLATES", role)
    )


@pytest.mark.parametrize("role", ROLES)
def test_campaign_pages(get, world, role):
    assert get(role, "/campaigns").status_code == expect("CAMPAIGNS", role)
    assert get(role, "/campaigns/new").status_code == expect("CAMPAIGNS", role)


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


def test_hr_cannot_use_another_tenants_template_in_a_campaign(post, world, make):
    foreign = make.template(world.stranger_tenant)
    reply = post(
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


def test_navigation_shows_each_role_its_entries(get, world):
    def nav(role):
        html = get(role, "/").get_data(as_text=True)
        return {label for label in ("Start forløb", "Kampagner", "Skabeloner") if label in html}

    assert nav("anna") == set()
    assert nav("leader") == {"Start forløb"}
    assert nav("hr") == {"Kampagner", "Skabeloner"}
    assert nav("admin") == {"Skabeloner"}
    assert nav("hovedudvalg") == set()
