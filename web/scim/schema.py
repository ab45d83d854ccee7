"""What the SCIM service publishes: the attributes Aktørskab stores, and its capabilities.

The schemas are RFC 7643's (as scim2-server ships them) cut down to what is kept, so a client
(Entra ID, scim2-tester) is told the truth: a User has ``userName`` (the person's subject),
``externalId``, ``displayName``, ``name`` (given, family, formatted), ``emails``,
``preferredLanguage``, ``active``, the read-only ``groups`` and the enterprise extension's
``department``; a Group has ``displayName``, ``externalId`` and ``members``. Phone numbers,
addresses, photos, passwords and the like are not published, so they are neither asked for
nor stored (data minimisation).
"""

from __future__ import annotations

import functools

from scim2_models import (
    AuthenticationScheme,
    Schema,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
)
from scim2_server.utils import load_default_resource_types, load_default_schemas

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_RESULTS = 200


def _trim(schema: Schema, keep: dict[str, set[str] | None]) -> Schema:
    data = schema.model_dump()
    data["attributes"] = [a for a in data["attributes"] if a["name"] in keep]
    for attribute in data["attributes"]:
        sub = keep[attribute["name"]]
        if sub is not None and attribute.get("subAttributes"):
            attribute["subAttributes"] = [s for s in attribute["subAttributes"] if s["name"] in sub]
        if attribute["name"] == "preferredLanguage":
            attribute["canonicalValues"] = ["da", "en"]
    return Schema.model_validate(data)


@functools.cache
def provider() -> ScimProvider:
    schemas = load_default_schemas()
    user = _trim(
        schemas[USER],
        {
            "userName": None,
            "name": {"givenName", "familyName", "formatted"},
            "displayName": None,
            "preferredLanguage": None,
            "active": None,
            "emails": {"value", "type", "primary"},
            "groups": {"value", "$ref", "display"},
        },
    )
    # A member is its id and reference: its name is the user's, not something a group sets.
    group = _trim(schemas[GROUP], {"displayName": None, "members": {"value", "$ref"}})
    enterprise = _trim(schemas[ENTERPRISE], {"department": None})
    config = ServiceProviderConfig.model_validate(
        {
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": True},
            "authenticationSchemes": [
                AuthenticationScheme.model_validate(
                    {
                        "type": "oauthbearertoken",
                        "name": "Bearer token",
                        "description": "A SCIM token the tenant admin creates in Aktørskab",
                        "primary": True,
                    }
                ).model_dump()
            ],
        }
    )
    return ScimProvider.from_discovery(
        [user, group, enterprise],
        load_default_resource_types().values(),
        config=config,
        policy=ENTRA_TOLERANT,
    )


# What Microsoft Entra ID sends that the strict reading refuses, each a documented Entra habit:
# attributes of its default mappings that are not published here (``roles: []`` in every
# POST), a ``remove`` naming the members to remove in its ``value``, and a ``replace`` of
# ``emails[type eq "work"].value`` on a user with no work address yet.
ENTRA_TOLERANT = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)
