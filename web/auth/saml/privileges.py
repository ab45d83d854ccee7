"""Context Handler's privilege attribute: a base64-encoded XML list of privileges with scopes.

OIOSAML Basic Privilege Profile (``http://digst.dk/oiosaml/basic_privilege_profile``)::

    <bpp:PrivilegeList xmlns:bpp="http://digst.dk/oiosaml/basic_privilege_profile">
      <PrivilegeGroup Scope="urn:dk:gov:saml:cvrNumberIdentifier:29189781">
        <Privilege>http://aktorskab.dk/roles/usersystemrole/leder/1</Privilege>
        <Constraint Name="http://sts.kombit.dk/constraints/orgenhed/1">team-sol</Constraint>
      </PrivilegeGroup>
    </bpp:PrivilegeList>

The privileges become role values (mapped through the tenant's role values like any group),
and the organisational-unit constraints (or an ``orgUnitIdentifier`` scope) the unit refs.
The ready mapping (``CONTEXT_HANDLER``) names the attributes and the user-system roles an
operator creates in Administrationsmodulet.
"""

from __future__ import annotations

import base64
import binascii

from web.auth.saml import checks

BPP = "http://digst.dk/oiosaml/basic_privilege_profile"
ORG_UNIT_CONSTRAINT = "http://sts.kombit.dk/constraints/orgenhed/1"
ORG_UNIT_SCOPE = "urn:dk:gov:saml:orgUnitIdentifier:"
PRIVILEGE_UNITS = "urn:aktorskab:privilege-units"
MAX_ENCODED = 64 * 1024

# The ready mapping for KOMBIT's Context Handler (OIOSAML 3 attribute names).
ROLE_PREFIX = "http://aktorskab.dk/roles/usersystemrole/"
CONTEXT_HANDLER = {
    "name_claim": "https://data.gov.dk/model/core/eid/fullName",
    "email_claim": "https://data.gov.dk/model/core/eid/email",
    "roles_claim": "https://data.gov.dk/model/core/eid/privilegesIntermediate",
    "privileges_attribute": "https://data.gov.dk/model/core/eid/privilegesIntermediate",
    "unit_claim": PRIVILEGE_UNITS,
    "role_values": {
        "leader": [ROLE_PREFIX + "leder/1"],
        "hr": [ROLE_PREFIX + "hr/1"],
        "hovedudvalg": [ROLE_PREFIX + "hovedudvalg/1"],
        "admin": [ROLE_PREFIX + "administrator/1"],
    },
}


def decode(value: str) -> tuple[list[str], list[str]]:
    """(privileges, unit refs) from one attribute value; refuses what is not a list."""
    if len(value) > MAX_ENCODED:
        raise checks.Refused("saml_privileges", "too large")
    try:
        xml = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise checks.Refused("saml_privileges", "not base64") from exc
    root = checks.parse(xml)
    if root.tag != checks.q(BPP, "PrivilegeList"):
        raise checks.Refused("saml_privileges", "not a PrivilegeList")
    privileges: list[str] = []
    units: list[str] = []
    for group in root:
        if not isinstance(group.tag, str) or group.tag.rsplit("}", 1)[-1] != "PrivilegeGroup":
            continue
        scope = group.get("Scope") or ""
        if scope.startswith(ORG_UNIT_SCOPE):
            units.append(scope[len(ORG_UNIT_SCOPE) :])
        for child in group:
            local = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
            text = (child.text or "").strip()
            if local == "Privilege" and text:
                privileges.append(text)
            elif local == "Constraint" and child.get("Name") == ORG_UNIT_CONSTRAINT and text:
                units.append(text)
    return list(dict.fromkeys(privileges)), list(dict.fromkeys(units))
