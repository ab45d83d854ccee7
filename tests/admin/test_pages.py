"""The tenant admin places users that SSO could not place, and reads the audit log."""

from __future__ import annotations

import re

from sqlalchemy import select

from web.audit.models import AuditEntry
from web.audit.services import record
from web.extensions import db
from web.orgs.models import Membership, MembershipRole, UnitKind
from web.tenancy import tenant_scope
from web.users.models import RoleSource, TenantRoleName


def test_admin_pages_need_the_admin_role(make, login, client):
    tenant = make.tenant("rolleby")
    for path in ("/", "/users/unplaced", "/audit"):
        assert client.get(f"/t/rolleby/admin{path}").status_code == 401
    login(make.user(tenant, "Helle HR", roles=(TenantRoleName.HR,)))
    for path in ("/", "/users/unplaced", "/audit"):
        assert client.get(f"/t/rolleby/admin{path}").status_code == 403
    login(make.user(tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,)))
    for path in ("/", "/users/unplaced", "/audit"):
        assert client.get(f"/t/rolleby/admin{path}").status_code == 200


def test_admin_places_a_user_and_the_placement_is_kept(app, make, login, client):
    tenant = make.tenant("placeby")
    area = make.unit(tenant, "Børn og Unge", kind=UnitKind.AREA)
    team = make.unit(tenant, "Team Sol", parent=area)
    admin = make.user(tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,), unit=team)
    newcomer = make.user(tenant, "Nina Ny")
    login(admin)

    page = client.get("/t/placeby/admin/users/unplaced").get_data(as_text=True)
    assert re.search(r"<td[^>]*>Nina Ny</td>", page)
    assert not re.search(r"<td[^>]*>Adam Admin</td>", page)
    assert "Børn og Unge / Team Sol" in page
    assert "1 bruger mangler en enhed." in client.get("/t/placeby/admin/").get_data(as_text=True)

    reply = client.post(
        f"/t/placeby/admin/users/{newcomer.id}/place",
        data={f"u{newcomer.id}-unit_id": team.id, f"u{newcomer.id}-role": "leader"},
    )
    assert reply.status_code == 302
    assert "Nina Ny er placeret i Team Sol." in client.get(reply.location).get_data(as_text=True)
    with app.app_context(), tenant_scope(tenant.id):
        membership = db.session.scalar(select(Membership).filter_by(user_id=newcomer.id))
        assert (membership.unit_id, membership.role, membership.source) == (
            team.id,
            MembershipRole.LEADER,
            RoleSource.APP,
        )
        entry = db.session.scalar(select(AuditEntry).filter_by(event="admin.user_placed"))
        assert entry.actor_id == admin.id and entry.target_id == newcomer.id
        assert entry.details == {"unit": team.external_id, "role": "leader"}
    page = client.get("/t/placeby/admin/users/unplaced").get_data(as_text=True)
    assert not re.search(r"<td[^>]*>Nina Ny</td>", page)


def test_another_tenants_user_or_unit_cannot_be_placed(make, login, client):
    tenant, other = make.tenant("hjemby"), make.tenant("fremmedby")
    team = make.unit(tenant, "Team Hjem")
    stranger = make.user(other, "Frede Fremmed")
    their_team = make.unit(other, "Team Fremmed")
    mine = make.user(tenant, "Mette Min")
    login(make.user(tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,)))
    reply = client.post(
        f"/t/hjemby/admin/users/{stranger.id}/place", data={f"u{stranger.id}-unit_id": team.id}
    )
    assert reply.status_code == 404
    reply = client.post(
        f"/t/hjemby/admin/users/{mine.id}/place", data={f"u{mine.id}-unit_id": their_team.id}
    )
    assert reply.status_code == 302  # not one of the choices: refused with a message
    assert "Vælg en enhed." in client.get("/t/hjemby/admin/users/unplaced").get_data(as_text=True)


def test_audit_page_lists_this_tenants_entries_newest_first(app, make, login, client):
    tenant, other = make.tenant("logby"), make.tenant("andenby")
    admin = make.user(tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,))
    with make.scope(tenant):
        record("auth.login", actor=admin, note="first")
        record("sso.settings_updated", actor=admin, changed=["issuer"])
    with make.scope(other):
        record("auth.login", subject="someone-elsewhere")
    login(admin)
    page = client.get("/t/logby/admin/audit").get_data(as_text=True)
    table = page.split("<tbody>")[1]
    assert table.index("Login-opsætning ændret") < table.index("Logget ind")
    assert "Adam Admin" in page
    assert "someone-elsewhere" not in page
    filtered = client.get("/t/logby/admin/audit?event=sso.settings_updated").get_data(as_text=True)
    assert "Ændrede felter: issuer." in filtered and "note: first" not in filtered
