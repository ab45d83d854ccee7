"""The request sequences Microsoft Entra ID sends, replayed against the served app, and what
they do in Aktørskab: people created and refreshed, group members becoming unit members,
leavers deactivated through the same path as complete imports.

The bodies are Entra's as documented in Microsoft's SCIM provisioning tutorial (capitalised
``Replace``/``Add``/``Remove`` ops and the string ``"False"`` of the older behaviour, the
lower-case ops and booleans of the current one, ``roles: []`` and ``meta`` in a POST)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.scim.client import new_token
from web.extensions import db
from web.orgs.models import Membership, MembershipRole, OrgUnit
from web.scim import services
from web.scim.models import GroupTarget, ScimGroup
from web.tenancy import tenant_scope
from web.users.models import User

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def entra_user(user_name: str, external_id: str, **extra) -> dict:
    return {
        "schemas": [USER, ENTERPRISE],
        "externalId": external_id,
        "userName": user_name,
        "active": True,
        "displayName": "Åse Østergaard",
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Åse Østergaard", "familyName": "Østergaard", "givenName": "Åse"},
        "roles": [],
        ENTERPRISE: {"department": "Dagtilbud Syd"},
        **extra,
    }


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH], "Operations": list(operations)}


def user_row(app, tenant, subject: str) -> User | None:
    with app.app_context(), tenant_scope(tenant.id):
        user = db.session.scalar(select(User).filter_by(subject=subject))
        if user is not None:
            db.session.expunge(user)
        return user


def memberships(app, tenant, subject: str) -> set[tuple[str, str, str]]:
    with app.app_context(), tenant_scope(tenant.id):
        rows = db.session.execute(
            select(OrgUnit.external_id, Membership.role, Membership.source)
            .join(Membership, Membership.unit_id == OrgUnit.id)
            .join(User)
            .where(User.subject == subject)
        ).all()
    return {(u, r.value, s.value) for u, r, s in rows}


@pytest.fixture
def team(app, scim, committed_make):
    return committed_make.unit(scim.tenant, "Team 2")


@pytest.mark.parametrize("style", ["current", "legacy"])
def test_entra_user_lifecycle(app, scim, style):
    """Test connection, query, create, query by externalId, PATCH attributes, deactivate."""
    cap = str.capitalize if style == "legacy" else str.lower
    name = f"ase.{style}@norddjurs.dk"
    with scim.client() as http:
        probe = http.get("/Users", params={"filter": 'userName eq "a3c7d1e2-probe"'})
        assert probe.status_code == 200 and probe.json()["totalResults"] == 0

        created = http.post("/Users", json=entra_user(name, f"oid-{style}"))
        assert created.status_code == 201, created.text
        body = created.json()
        uid = body["id"]
        assert body["userName"] == name and body["active"] is True
        assert created.headers["ETag"] == body["meta"]["version"]
        assert body["meta"]["location"].endswith(f"/Users/{uid}")

        again = http.post("/Users", json=entra_user(name, f"oid-{style}"))
        assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"

        found = http.get("/Users", params={"filter": f'externalId eq "oid-{style}"'})
        assert [r["id"] for r in found.json()["Resources"]] == [uid]

        changed = http.patch(
            f"/Users/{uid}",
            json=patch(
                {
                    "op": cap("replace"),
                    "path": 'emails[type eq "work"].value',
                    "value": f"aase.{style}@ærø.dk",
                },
                {"op": cap("replace"), "path": "name.familyName", "value": "Østergård"},
                {"op": cap("replace"), "path": "displayName", "value": "Åse Østergård"},
                {"op": cap("add"), "path": f"{ENTERPRISE}:department", "value": "Skoler"},
            ),
        )
        assert changed.status_code in (200, 204), changed.text
        shown = http.get(f"/Users/{uid}").json()
        assert shown["name"]["familyName"] == "Østergård"
        assert shown[ENTERPRISE]["department"] == "Skoler"
    user = user_row(app, scim.tenant, name)
    assert user.display_name == "Åse Østergård" and user.email == f"aase.{style}@ærø.dk"
    assert user.external_id == f"oid-{style}" and user.is_active

    with scim.client() as http:
        off = {
            "op": cap("replace"),
            "path": "active",
            "value": "False" if style == "legacy" else False,
        }
        if style == "current":  # Entra's current form: no path, the attributes as value
            off = {"op": "replace", "value": {"active": False}}
        gone = http.patch(f"/Users/{uid}", json=patch(off))
        assert gone.status_code in (200, 204), gone.text
        assert http.get(f"/Users/{uid}").json()["active"] is False
    assert not user_row(app, scim.tenant, name).is_active


def test_group_members_become_unit_members_and_leavers_lose_them(app, scim, team, committed_make):
    """Create group, map it (admin), PATCH add/remove members (both forms), rename, delete
    the user (the leaving path: deactivated, provisioned membership ended, row kept)."""
    with scim.client() as http:
        ids = [
            http.post("/Users", json=entra_user(f"p{i}@norddjurs.dk", f"oid-{i}")).json()["id"]
            for i in range(3)
        ]
        query = http.get(
            "/Groups",
            params={"filter": 'displayName eq "Team 2 (Entra)"', "excludedAttributes": "members"},
        )
        assert query.json()["totalResults"] == 0
        group = http.post(
            "/Groups",
            json={
                "schemas": [GROUP],
                "externalId": "g-oid",
                "displayName": "Team 2 (Entra)",
                "members": [],
                "meta": {"resourceType": "Group"},
            },
        )
        assert group.status_code == 201, group.text
        gid = group.json()["id"]

    # The tenant admin says the group is the team (its page posts the same service call).
    with app.app_context(), tenant_scope(scim.tenant.id):
        services.set_target(
            db.session.get(ScimGroup, int(gid)),
            GroupTarget.UNIT,
            db.session.get(OrgUnit, team.id),
            None,
            actor=None,
        )
        db.session.commit()

    with scim.client() as http:
        added = http.patch(
            f"/Groups/{gid}",
            json=patch(
                {
                    "op": "Add",
                    "path": "members",
                    "value": [{"$ref": None, "value": ids[0]}, {"$ref": None, "value": ids[1]}],
                }
            ),
        )
        assert added.status_code in (200, 204), added.text
        http.patch(
            f"/Groups/{gid}",
            json=patch({"op": "add", "path": "members", "value": [{"value": ids[2]}]}),
        )
    for i in range(3):
        assert memberships(app, scim.tenant, f"p{i}@norddjurs.dk") == {
            (team.external_id, "employee", "import")
        }

    with scim.client() as http:
        removed = http.patch(
            f"/Groups/{gid}", json=patch({"op": "Remove", "path": f'members[value eq "{ids[1]}"]'})
        )
        assert removed.status_code in (200, 204), removed.text
        http.patch(
            f"/Groups/{gid}",
            json=patch({"op": "remove", "path": "members", "value": [{"value": ids[2]}]}),
        )
        renamed = http.patch(
            f"/Groups/{gid}",
            json=patch({"op": "Replace", "path": "displayName", "value": "Team 2, Dagtilbud Syd"}),
        )
        assert renamed.status_code in (200, 204)
        listed = http.get(f"/Groups/{gid}").json()
        assert [m["value"] for m in listed["members"]] == [ids[0]]
        assert listed["displayName"] == "Team 2, Dagtilbud Syd"
    assert memberships(app, scim.tenant, "p1@norddjurs.dk") == set()
    assert memberships(app, scim.tenant, "p2@norddjurs.dk") == set()

    with scim.client() as http:
        assert http.delete(f"/Users/{ids[0]}").status_code == 204
        assert http.get(f"/Users/{ids[0]}").status_code == 404
        assert http.get(f"/Groups/{gid}").json().get("members") is None
        assert http.delete(f"/Groups/{gid}").status_code == 204
    leaver = user_row(app, scim.tenant, "p0@norddjurs.dk")
    assert leaver is not None and not leaver.is_active
    assert memberships(app, scim.tenant, "p0@norddjurs.dk") == set()


def test_a_group_mapped_to_leadership_or_a_role(app, scim, team):
    with scim.client() as http:
        uid = http.post("/Users", json=entra_user("lea@norddjurs.dk", "oid-lea")).json()["id"]
        leaders = http.post(
            "/Groups",
            json={"schemas": [GROUP], "displayName": "Ledere", "members": [{"value": uid}]},
        ).json()["id"]
        hr = http.post(
            "/Groups", json={"schemas": [GROUP], "displayName": "HR", "members": [{"value": uid}]}
        ).json()["id"]
    from web.users.models import TenantRoleName

    with app.app_context(), tenant_scope(scim.tenant.id):
        services.set_target(
            db.session.get(ScimGroup, int(leaders)),
            GroupTarget.LEADER,
            db.session.get(OrgUnit, team.id),
            None,
            actor=None,
        )
        services.set_target(
            db.session.get(ScimGroup, int(hr)),
            GroupTarget.ROLE,
            None,
            TenantRoleName.HR,
            actor=None,
        )
        db.session.commit()
    assert memberships(app, scim.tenant, "lea@norddjurs.dk") == {
        (team.external_id, MembershipRole.LEADER.value, "import")
    }
    with app.app_context(), tenant_scope(scim.tenant.id):
        lea = db.session.scalar(select(User).filter_by(subject="lea@norddjurs.dk"))
        assert {(r.role.value, r.source.value) for r in lea.roles} == {("hr", "import")}
        # Re-mapping the group to nothing ends what it gave.
        services.set_target(
            db.session.get(ScimGroup, int(hr)), GroupTarget.NONE, None, None, actor=None
        )
        db.session.commit()
        db.session.refresh(lea)
        assert lea.roles == []


def test_tokens_are_per_tenant_and_revocable(app, scim, committed_make):
    from web.scim.models import ScimToken
    from web.scim.tokens import revoke

    other = committed_make.tenant()
    admin = committed_make.user(other, "Otto", roles=())
    other_token = new_token(app, other, admin.id)
    with scim.client(token=other_token) as http:
        refused = http.get("/Users")
        assert refused.status_code == 401
        assert refused.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    with scim.client(token="scim_nope") as http:
        assert http.get("/Users").status_code == 401
        # Discovery of the configuration needs no token (RFC 7644 §4).
        assert http.get("/ServiceProviderConfig").status_code == 200
    with app.app_context(), tenant_scope(scim.tenant.id):
        token = db.session.scalars(select(ScimToken)).one()
        assert token.last_used_at is None or token.last_used_at
        revoke(token, actor=None)
        db.session.commit()
    with scim.client() as http:
        assert http.get("/Users").status_code == 401


def test_bad_input_is_a_scim_error_and_changes_nothing(app, scim):
    with scim.client() as http:
        bad = http.post(
            "/Users",
            json=entra_user("x@norddjurs.dk", "o", emails=[{"value": "a@@b", "primary": True}]),
        )
        assert bad.status_code == 400 and bad.json()["scimType"] == "invalidValue"
        assert (
            http.get("/Users", params={"filter": 'userName eq "x@norddjurs.dk"'}).json()[
                "totalResults"
            ]
            == 0
        )
        assert http.get("/Nope").status_code == 404
    assert user_row(app, scim.tenant, "x@norddjurs.dk") is None


def test_rate_limited_per_token(app, scim, committed_make):
    """Each token has its own counter: a second token of the tenant is not slowed by the
    first; a refusal is 429 with Retry-After, as a SCIM error."""
    import httpx2

    from tests.apps import limited_app
    from tests.auth.providers import serve

    limited = limited_app(app, RATELIMIT_SCIM="5 per minute")
    admin = committed_make.user(scim.tenant, "Anden Admin")
    second = new_token(app, scim.tenant, admin.id, "Reserve")
    with serve(limited) as url:
        base = f"{url}/t/{scim.tenant.slug}/scim/v2"

        def get(token):
            return httpx2.get(f"{base}/Users", headers={"Authorization": f"Bearer {token}"})

        codes = [get(scim.token).status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        refused = get(scim.token)
        assert refused.headers["Retry-After"]
        assert refused.json()["status"] == "429"
        assert get(second).status_code == 200
    with limited.app_context():
        db.engine.dispose()


def test_etags_refuse_a_stale_write(app, scim):
    with scim.client() as http:
        created = http.post("/Users", json=entra_user("etag@norddjurs.dk", "oid-e"))
        uid, first = created.json()["id"], created.headers["ETag"]
        assert http.get(f"/Users/{uid}", headers={"If-None-Match": first}).status_code == 304
        http.patch(
            f"/Users/{uid}", json=patch({"op": "replace", "path": "displayName", "value": "Ny"})
        )
        stale = http.patch(
            f"/Users/{uid}",
            headers={"If-Match": first},
            json=patch({"op": "replace", "path": "displayName", "value": "Gammel"}),
        )
        assert stale.status_code == 412
        assert http.get(f"/Users/{uid}").json()["displayName"] == "Ny"
