"""docker-compose.yml's Keycloak serves the same demo as the dev provider (no Docker engine runs
here, so check the realm file's structure against the demo's people and claim mapping)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.services import ROOT
from web.demo.sso import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_GROUPS,
    KEYCLOAK_REALM,
    demo_people,
    demo_settings,
    keycloak_realm,
)

REALM_FILE = ROOT / "deploy" / "keycloak" / "aktorskab-demo-realm.json"


def realm() -> dict:
    return json.loads(REALM_FILE.read_text(encoding="utf-8"))


def test_realm_file_is_generated_from_the_demo():
    assert realm() == json.loads(json.dumps(keycloak_realm())), (
        "regenerate: flask sso keycloak-realm > deploy/keycloak/aktorskab-demo-realm.json"
    )


def test_compose_runs_keycloak_with_the_realm():
    service = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["keycloak"]
    assert service["image"].startswith("quay.io/keycloak/keycloak:")
    assert "--import-realm" in service["command"]
    assert "--hostname=http://localhost:8080" in service["command"]
    source, target = service["volumes"][0].split(":")[:2]
    assert (ROOT / source).resolve() == REALM_FILE.resolve()
    assert target.startswith("/opt/keycloak/data/import/")


def test_client_matches_the_demo_settings():
    data = realm()
    assert data["realm"] == KEYCLOAK_REALM and data["enabled"]
    (client,) = data["clients"]
    settings = demo_settings()
    assert (client["clientId"], client["secret"]) == (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    assert client["standardFlowEnabled"] and not client["implicitFlowEnabled"]
    assert not client["publicClient"]
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    assert "http://localhost:8000/t/demo/auth/callback" in client["redirectUris"]
    assert "http://localhost:8000/t/demo/auth/logged-out" in client["attributes"][
        "post.logout.redirect.uris"
    ].split("##")
    mappers = {m["config"]["claim.name"]: m for m in client["protocolMappers"]}
    assert mappers[settings.unit_claim]["config"]["user.attribute"] == "unit"
    assert mappers[settings.roles_claim]["protocolMapper"] == "oidc-group-membership-mapper"
    assert mappers[settings.roles_claim]["config"]["full.path"] == "false"
    for mapper in mappers.values():
        assert mapper["config"]["id.token.claim"] == "true"
    assert {g["name"] for g in data["groups"]} == set(DEMO_GROUPS.values())
    for key, values in settings.role_values.items():
        assert values == [DEMO_GROUPS[key]]


def test_every_demo_person_is_a_user_with_the_same_claims():
    users = {u["id"]: u for u in realm()["users"]}
    people = demo_people()
    assert set(users) == {p["sub"] for p in people}
    for person in people:
        user = users[person["sub"]]
        assert user["username"] == person["sub"] and user["enabled"]
        assert user["email"] == person["email"]
        assert f"{user['firstName']} {user['lastName']}" == person["name"]
        assert user["attributes"]["unit"] == [person["unit"]]
        assert sorted(user["groups"]) == sorted(f"/{g}" for g in person["groups"])
        assert user["credentials"][0]["type"] == "password"


def test_unit_attribute_is_allowed_by_the_user_profile():
    (provider,) = realm()["components"]["org.keycloak.userprofile.UserProfileProvider"]
    profile = json.loads(provider["config"]["kc.user.profile.config"][0])
    assert profile["unmanagedAttributePolicy"] == "ENABLED"
    assert {"username", "email", "firstName", "lastName"} <= {
        a["name"] for a in profile["attributes"]
    }


def test_realm_file_path_is_documented():
    assert str(REALM_FILE.relative_to(ROOT)) in (Path(ROOT) / "README.md").read_text()
