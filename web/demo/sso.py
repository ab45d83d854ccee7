"""The demo municipality's SSO: the dev identity provider (``oidc-provider-mock``) on loopback.

``make run`` starts the provider (``python -m web.demo.dev_provider``, see the Procfile) and
``flask demo`` points the demo tenant at it, so the demo logs in through the real code path.
The same claims are in the Keycloak realm of docker-compose.yml.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from web.auth.models import UnitClaimKind
from web.auth.services import SettingsInput, current_settings, update_settings

DEV_PROVIDER_URL = "http://127.0.0.1:9400"  # the Procfile's idp, unless IDP_PORT says otherwise
DEMO_CLIENT_ID = "aktorskab-demo"
DEMO_CLIENT_SECRET = "demo-secret"  # noqa: S105 - a demo provider on loopback
PEOPLE_CSV = Path(__file__).resolve().parent / "data" / "people.csv"

# Group values the demo provider sends in the "groups" claim, by Aktørskab role.
DEMO_GROUPS = {
    "leader": "aktorskab-leder",
    "hr": "aktorskab-hr",
    "hovedudvalg": "aktorskab-hovedudvalg",
    "admin": "aktorskab-admin",
}
# Someone the identity provider knows but the org tree does not (yet): the "place me" case.
UNPLACED_PERSON = {
    "sub": "nina.ny",
    "name": "Nina Nygaard",
    "email": "nina.nygaard@demo.aktorskab.dk",
    "locale": "da",
    "unit": "vikarpuljen",
    "groups": [],
}


def dev_provider_url() -> str:
    """Where the Procfile's dev identity provider listens: port ``IDP_PORT`` (default 9400)."""
    port = os.environ.get("IDP_PORT", "").strip()
    return f"http://127.0.0.1:{port}" if port.isdigit() else DEV_PROVIDER_URL


def demo_settings(issuer: str = DEV_PROVIDER_URL) -> SettingsInput:
    return SettingsInput(
        issuer=issuer,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        scopes="openid profile email",
        email_claim="email",
        name_claim="name",
        unit_claim="unit",
        unit_claim_kind=UnitClaimKind.EXTERNAL_ID,
        roles_claim="groups",
        role_values={key: [group] for key, group in DEMO_GROUPS.items()},
    )


def configure_demo_sso(issuer: str | None = None) -> bool:
    """Point the current tenant at the dev provider (``dev_provider_url()`` by default), unless
    an operator chose another one.

    Idempotent: returns whether anything changed.
    """
    issuer = issuer or dev_provider_url()
    settings = current_settings()
    if settings is not None and settings.issuer != issuer:
        return False
    before = settings.version if settings is not None else None
    # The provider is not running while `flask demo` runs: do not fetch its metadata.
    settings = update_settings(demo_settings(issuer), check_provider=False)
    return settings.version != before


def demo_people() -> list[dict[str, Any]]:
    """The claims of every demo person, as the dev provider and the Keycloak realm send them."""
    people = []
    with PEOPLE_CSV.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            groups = [DEMO_GROUPS[r] for r in filter(None, row["tenant_roles"].split(";"))]
            if row["unit_role"] == "leader":
                groups.insert(0, DEMO_GROUPS["leader"])
            people.append(
                {
                    "sub": row["subject"],
                    "name": row["display_name"],
                    "email": row["email"],
                    "locale": row["locale"] or "da",
                    "unit": row["unit_external_id"],
                    "groups": groups,
                }
            )
    return [*people, dict(UNPLACED_PERSON)]


KEYCLOAK_REALM = "aktorskab-demo"
KEYCLOAK_REDIRECT_BASES = ("http://localhost:8000", "http://127.0.0.1:5000")
KEYCLOAK_PASSWORD = "demo"  # noqa: S105 - every demo person's password in the demo realm
_USER_PROFILE = {
    "attributes": [
        {
            "name": "username",
            "displayName": "${username}",
            "validations": {
                "length": {"min": 3, "max": 255},
                "username-prohibited-characters": {},
                "up-username-not-idn-homograph": {},
            },
            "permissions": {"view": ["admin", "user"], "edit": ["admin", "user"]},
            "multivalued": False,
        },
        {
            "name": "email",
            "displayName": "${email}",
            "validations": {"email": {}, "length": {"max": 255}},
            "permissions": {"view": ["admin", "user"], "edit": ["admin", "user"]},
            "multivalued": False,
        },
        {
            "name": "firstName",
            "displayName": "${firstName}",
            "validations": {"length": {"max": 255}, "person-name-prohibited-characters": {}},
            "permissions": {"view": ["admin", "user"], "edit": ["admin", "user"]},
            "multivalued": False,
        },
        {
            "name": "lastName",
            "displayName": "${lastName}",
            "validations": {"length": {"max": 255}, "person-name-prohibited-characters": {}},
            "permissions": {"view": ["admin", "user"], "edit": ["admin", "user"]},
            "multivalued": False,
        },
    ],
    "groups": [
        {
            "name": "user-metadata",
            "displayHeader": "User metadata",
            "displayDescription": "Attributes, which refer to user metadata",
        }
    ],
    # The "unit" attribute is not part of the profile above.
    "unmanagedAttributePolicy": "ENABLED",
}


def keycloak_realm() -> dict[str, Any]:
    """The Keycloak realm of docker-compose.yml: the same people and claims as the dev provider.

    Each user's Keycloak id is the demo subject, so ``sub`` matches people.csv. Written to
    deploy/keycloak/aktorskab-demo-realm.json by ``flask sso keycloak-realm``.
    """
    import json

    def mapper(name: str, kind: str, **config: str) -> dict[str, Any]:
        return {
            "name": name,
            "protocol": "openid-connect",
            "protocolMapper": kind,
            "consentRequired": False,
            "config": {
                "claim.name": name,
                "id.token.claim": "true",
                "access.token.claim": "true",
                "userinfo.token.claim": "true",
                **config,
            },
        }

    users = []
    for person in demo_people():
        first, _, last = person["name"].partition(" ")
        users.append(
            {
                "id": person["sub"],
                "username": person["sub"],
                "enabled": True,
                "email": person["email"],
                "emailVerified": True,
                "firstName": first,
                "lastName": last or first,
                "attributes": {"unit": [person["unit"]], "locale": [person["locale"]]},
                "groups": [f"/{group}" for group in person["groups"]],
                "credentials": [
                    {"type": "password", "value": KEYCLOAK_PASSWORD, "temporary": False}
                ],
            }
        )
    return {
        "realm": KEYCLOAK_REALM,
        "enabled": True,
        "displayName": "Demokommune",
        "sslRequired": "none",
        "loginWithEmailAllowed": False,
        "internationalizationEnabled": True,
        "supportedLocales": ["da", "en"],
        "defaultLocale": "da",
        "groups": [{"name": group, "path": f"/{group}"} for group in DEMO_GROUPS.values()],
        "clients": [
            {
                "clientId": DEMO_CLIENT_ID,
                "name": "Aktørskab",
                "enabled": True,
                "protocol": "openid-connect",
                "publicClient": False,
                "clientAuthenticatorType": "client-secret",
                "secret": DEMO_CLIENT_SECRET,
                "standardFlowEnabled": True,
                "implicitFlowEnabled": False,
                "directAccessGrantsEnabled": False,
                "serviceAccountsEnabled": False,
                "redirectUris": [
                    f"{base}/t/demo/auth/callback" for base in KEYCLOAK_REDIRECT_BASES
                ],
                "webOrigins": [],
                "attributes": {
                    "pkce.code.challenge.method": "S256",
                    "post.logout.redirect.uris": "##".join(
                        f"{base}/t/demo/auth/logged-out" for base in KEYCLOAK_REDIRECT_BASES
                    ),
                },
                "defaultClientScopes": ["basic", "profile", "email", "roles", "web-origins", "acr"],
                "protocolMappers": [
                    mapper(
                        "unit",
                        "oidc-usermodel-attribute-mapper",
                        **{"user.attribute": "unit", "jsonType.label": "String"},
                    ),
                    mapper("groups", "oidc-group-membership-mapper", **{"full.path": "false"}),
                ],
            }
        ],
        "users": users,
        "components": {
            "org.keycloak.userprofile.UserProfileProvider": [
                {
                    "providerId": "declarative-user-profile",
                    "subComponents": {},
                    "config": {"kc.user.profile.config": [json.dumps(_USER_PROFILE)]},
                }
            ]
        },
    }
