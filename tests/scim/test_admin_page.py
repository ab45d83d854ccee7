"""The tenant admin's provisioning page: last import and sync with summary and errors,
the people not placed (with an ambiguous claim's candidates), SCIM tokens and group mapping."""

from __future__ import annotations

import re

from sqlalchemy import select

from web.extensions import db
from web.orgs.models import Membership, ProvisioningSource
from web.orgs.services import record_run
from web.scim.models import GroupTarget, ScimGroup, ScimGroupMember
from web.users.models import TenantRoleName, User

PAGE = "/t/{slug}/admin/provisioning/"


def test_only_admins_see_it(make, login, client):
    tenant = make.tenant()
    login(make.user(tenant, "Hanne HR", roles=(TenantRoleName.HR,)))
    assert client.get(PAGE.format(slug=tenant.slug)).status_code == 403


def test_last_runs_summary_errors_and_unplaced(app, make, login, client, scope):
    tenant = make.tenant()
    team = make.unit(tenant, "Team 2")
    login(make.user(tenant, "Ada Admin", roles=(TenantRoleName.ADMIN,), unit=team))
    page = client.get(PAGE.format(slug=tenant.slug)).get_data(as_text=True)
    assert page.count("Ingen endnu.") == 2
    lost = make.user(tenant, "Tove Tvilling")
    with scope(tenant):
        db.session.get(User, lost.id).ambiguous_units = [
            {
                "ref": "Syd/Team 2",
                "candidates": [
                    {"id": 1, "external_id": "T2a", "path": "Syd/Team 2"},
                    {"id": 2, "external_id": "T2b", "path": "Syd/Team 2"},
                ],
            }
        ]
        record_run(
            ProvisioningSource.CSV,
            ok=False,
            errors=["units.csv, linje 2: enhederne danner en ring (A0 → A0D0 → A0)"],
        )
        record_run(ProvisioningSource.SCIM, ok=True, summary={"date": "2026-12-07", "created": 3})
        db.session.commit()
    page = client.get(PAGE.format(slug=tenant.slug)).get_data(as_text=True)
    assert "units.csv, linje 2: enhederne danner en ring (A0 → A0D0 → A0)" in page
    assert "<dt>Oprettet</dt><dd>3</dd>" in page
    assert "Tove Tvilling" in page and "Syd/Team 2 (T2a), Syd/Team 2 (T2b)" in page


def test_tokens_are_shown_once_and_revoked_on_the_page(app, make, login, client, scope):
    tenant = make.tenant()
    login(make.user(tenant, "Ada Admin", roles=(TenantRoleName.ADMIN,)))
    base = PAGE.format(slug=tenant.slug)
    created = client.post(base + "tokens", data={"name": "Entra ID"})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    secret = re.search(r'value="(scim_[^"]+)"', created.get_data(as_text=True)).group(1)
    scim = f"/t/{tenant.slug}/scim/v2/Users"
    assert client.get(scim, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert secret not in client.get(base).get_data(as_text=True)

    refused = client.post(base + "tokens", data={"name": ""})
    assert refused.status_code == 422 and "Skal udfyldes." in refused.get_data(as_text=True)

    from web.scim.models import ScimToken

    with scope(tenant):
        token = db.session.scalars(select(ScimToken)).one()
    client.post(base + f"tokens/{token.id}/revoke")
    assert client.get(scim, headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_the_admin_maps_a_group_to_a_unit(app, make, login, client, scope):
    tenant = make.tenant()
    team = make.unit(tenant, "Team Sol")
    login(make.user(tenant, "Ada Admin", roles=(TenantRoleName.ADMIN,)))
    member = make.user(tenant, "Mia Medlem")
    with scope(tenant):
        group = ScimGroup(display_name="Team Sol (Entra)")
        db.session.add(group)
        db.session.flush()
        db.session.add(ScimGroupMember(group_id=group.id, user_id=member.id))
        db.session.commit()
        group_id = group.id
    base = PAGE.format(slug=tenant.slug)
    assert "Team Sol (Entra) (1 medlem)" in client.get(base).get_data(as_text=True)
    bad = client.post(base + f"groups/{group_id}", data={"target": "unit:999999"})
    assert bad.status_code == 422
    ok = client.post(base + f"groups/{group_id}", data={"target": f"unit:{team.id}"})
    assert ok.status_code == 302
    with scope(tenant):
        assert db.session.get(ScimGroup, group_id).target == GroupTarget.UNIT
        held = db.session.scalars(select(Membership).filter_by(user_id=member.id)).all()
        assert [(m.unit_id, m.source.value) for m in held] == [(team.id, "import")]
    page = client.get(base).get_data(as_text=True)
    assert f'value="unit:{team.id}" selected' in page
