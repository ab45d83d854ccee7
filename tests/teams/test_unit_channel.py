"""A unit's own Teams channel, set by its leader (issue 19, point 7: "a tenant, and optionally
a unit"): ``/t/<slug>/units/<id>/teams`` under ``Permission.MANAGE_UNIT_TEAMS`` (the unit's
leaders, leaders above it, admins), the same address check as the admin's page, and the unit's
posts in its own channel while another unit's go to the tenant's."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.reminders.helpers import plan, settings_for
from tests.reminders.teams import NOW, make_team
from tests.teams.receiver import running_receiver
from web.audit.models import AuditEntry
from web.extensions import db
from web.orgs.models import UnitKind
from web.teams import services
from web.teams.delivery import deliver_posts
from web.teams.models import TeamsWebhook
from web.tenancy import tenant_scope
from web.users.models import TenantRoleName

RETIRED = "https://kommune.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi"


def hooks(app, tenant) -> dict[int | None, str]:
    with app.app_context(), tenant_scope(tenant.id):
        return {h.unit_id: services.url_of(h) for h in db.session.scalars(select(TeamsWebhook))}


def page_of(client, tenant, unit) -> str:
    reply = client.get(f"/t/{tenant.slug}/units/{unit.id}/teams/")
    assert reply.status_code == 200
    return reply.get_data(as_text=True)


def test_the_leader_sets_and_removes_the_units_channel_and_it_is_audited(app, make, login, client):
    team = make_team(make)
    base = f"/t/{team.tenant.slug}/units/{team.unit.id}/teams/"
    leader = login(team.leader)
    board = leader.get(f"/t/{team.tenant.slug}/units").get_data(as_text=True)
    assert f'href="{base}"' in board and "Teams-kanal for Team Nord" in board
    assert "ingen kanal, og kommunen har heller ingen" in page_of(client, team.tenant, team.unit)

    with running_receiver() as receiver:
        saved = client.post(base, data={"url": receiver.url})
        assert saved.status_code == 302 and saved.location.endswith(base)
        shown = client.get(base).get_data(as_text=True)
        assert "Teams-kanalen for Team Nord er gemt." in shown
        assert "sender via 127.0.0.1" in shown and "sig=" not in shown  # only its host
        assert hooks(app, team.tenant) == {team.unit.id: receiver.url}

    assert client.post(base + "delete").status_code == 302
    assert hooks(app, team.tenant) == {}
    with app.app_context(), tenant_scope(team.tenant.id):
        entries = db.session.execute(
            select(AuditEntry.event, AuditEntry.actor_id, AuditEntry.details).order_by(
                AuditEntry.id
            )
        ).all()
    assert [(e, a, d["unit"]) for e, a, d in entries] == [
        ("teams.webhook_set", team.leader.id, "Team Nord"),
        ("teams.webhook_removed", team.leader.id, "Team Nord"),
    ]


def test_a_bad_address_is_refused_at_its_field_and_nothing_kept(app, make, login, client):
    team = make_team(make)
    login(team.leader)
    reply = client.post(f"/t/{team.tenant.slug}/units/{team.unit.id}/teams/", data={"url": RETIRED})
    assert reply.status_code == 422
    html = reply.get_data(as_text=True)
    assert "Office 365-connector, som Microsoft har udfaset" in html
    assert re.search(r'id="url"[^>]*aria-invalid="true"', html)
    assert hooks(app, team.tenant) == {}


def test_who_may_choose_a_units_channel(app, make, login, client):
    team = make_team(make)
    tenant = team.tenant
    area = make.unit(tenant, "Område Øst", kind=UnitKind.AREA)
    with make.scope(tenant):
        db.session.merge(team.unit).parent_id = area.id
        db.session.commit()
    neighbour = make.unit(tenant, "Team Syd")
    base = f"/t/{tenant.slug}/units/{team.unit.id}/teams/"
    assert client.get(base).status_code == 401
    for refused in (
        team.dane,  # a member of the team
        make.user(tenant, "Sara Syd", leader_of=neighbour),  # another team's leader
        make.user(tenant, "Helle HR", roles=(TenantRoleName.HR,)),
    ):
        login(refused)
        assert client.get(base).status_code == 403, refused.display_name
        assert client.post(base, data={"url": RETIRED}).status_code == 403
        assert client.post(base + "delete").status_code == 403
    for allowed in (
        make.user(tenant, "Otto Område", leader_of=area),  # leads the area above the team
        make.user(tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,)),
    ):
        login(allowed)
        assert "Teams-kanal for Team Nord" in page_of(client, team.tenant, team.unit)
    # Another tenant's unit does not exist here.
    other = make_team(make)
    assert client.get(f"/t/{tenant.slug}/units/{other.unit.id}/teams/").status_code == 404


def test_a_units_posts_go_to_its_own_channel_the_others_to_the_tenants(app, make, login, client):
    team = make_team(make)
    other_unit = make.unit(team.tenant, "Team Syd")
    make.user(team.tenant, "Sune Syd", unit=other_unit)
    make.cycle(team.tenant, other_unit, preparation_starts_on=team.cycle.preparation_starts_on)
    admin = make.user(team.tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,))
    with running_receiver() as everyone, running_receiver() as nord:
        login(admin)
        assert (
            client.post(f"/t/{team.tenant.slug}/admin/teams/", data={"url": everyone.url})
        ).status_code == 302
        login(team.leader)
        assert (
            client.post(
                f"/t/{team.tenant.slug}/units/{team.unit.id}/teams/", data={"url": nord.url}
            )
        ).status_code == 302
        assert "skriver i kommunens kanal" not in page_of(client, team.tenant, team.unit)
        plan(app, team.tenant.id)
        with app.app_context(), tenant_scope(team.tenant.id):
            deliver_posts(team.tenant.id, NOW, settings_for(None))
        assert everyone.invalid == [] and nord.invalid == []
        assert [c["body"][0]["text"] for c in nord.cards] == [
            "Forberedelsen til dialogen om aktørskab er åbnet – Team Nord"
        ]
        assert [c["body"][0]["text"] for c in everyone.cards] == [
            "Forberedelsen til dialogen om aktørskab er åbnet – Team Syd"
        ]
    # Without its own channel a unit's page says where its posts go.
    login(admin)
    assert "skriver i kommunens kanal" in page_of(client, team.tenant, other_unit)


def test_the_admins_unit_choice_carries_each_units_id_and_path(make, login, client):
    team = make_team(make)
    login(make.user(team.tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,)))
    html = client.get(f"/t/{team.tenant.slug}/admin/teams/").get_data(as_text=True)
    assert f'<option value="{team.unit.id}">Team Nord</option>' in html
