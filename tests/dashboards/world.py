"""A small municipality with one person in every role, shared by the tests of actions,
examples and the overview pages (built as every test world is, by tests/world.py).

    Kommune (organisation)
    └── Sundhed (area)          area_leader leads it
        ├── Hjemmeplejen (team) leader, anna, bo, carl
        └── Tandplejen (team)   other_leader, dina
    plus hr, hovedudvalg, admin (tenant roles, no unit) and a stranger in another tenant.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.world import Person, Unit, build_tenant, picked, tenant_roles, works_in
from web.orgs.models import OrgUnit, UnitKind
from web.tenants.models import Tenant
from web.users.models import User


@dataclass
class World:
    tenant: Tenant
    org: OrgUnit
    area: OrgUnit
    team: OrgUnit
    other_team: OrgUnit
    leader: User
    anna: User
    bo: User
    carl: User
    other_leader: User
    dina: User
    area_leader: User
    hr: User
    hovedudvalg: User
    admin: User
    other_tenant: Tenant
    stranger: User

    def url(self, path: str) -> str:
        return f"/t/{self.tenant.slug}{path}"


def build_world(make, slug: str = "solby") -> World:
    solby = build_tenant(
        make,
        slug,
        name="Solby Kommune",
        units=(
            Unit("org", "Solby Kommune", UnitKind.ORGANISATION),
            Unit("area", "Sundhed", UnitKind.AREA, parent="org"),
            Unit("team", "Hjemmeplejen", parent="area"),
            Unit("other_team", "Tandplejen", parent="area"),
        ),
        people=(
            Person("leader", "Lene Leder", leads="team"),
            *works_in("team", anna="Anna Andersen", bo="Bo Berg", carl="Carl Clausen"),
            Person("other_leader", "Ole Olsen", leads="other_team"),
            *works_in("other_team", dina="Dina Dahl"),
            Person("area_leader", "Alma Områdechef", leads="area"),
            *tenant_roles(hr="Hanne HR", hovedudvalg="Hugo HU", admin="Ada Admin"),
        ),
    )
    nabo = build_tenant(
        make,
        f"{slug}-nabo",
        name="Nabo Kommune",
        units=[Unit("unit", "Nabo-teamet")],
        people=[Person("stranger", "Svend Fremmed", leads="unit")],
    )
    return picked(World, solby, other_tenant=nabo["tenant"], stranger=nabo["stranger"])
