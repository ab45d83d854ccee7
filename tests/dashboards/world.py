"""A small municipality with one person in every role, shared by the tests of actions,
examples and the overview pages.

    Kommune (organisation)
    └── Sundhed (area)          area_leader leads it
        ├── Hjemmeplejen (team) leader, anna, bo, carl
        └── Tandplejen (team)   other_leader, dina
    plus hr, hovedudvalg, admin (tenant roles, no unit) and a stranger in another tenant.
"""

from __future__ import annotations

from dataclasses import dataclass

from web.orgs.models import OrgUnit, UnitKind
from web.tenants.models import Tenant
from web.users.models import TenantRoleName, User


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
    tenant = make.tenant(slug, name="Solby Kommune")
    org = make.unit(tenant, "Solby Kommune", kind=UnitKind.ORGANISATION)
    area = make.unit(tenant, "Sundhed", kind=UnitKind.AREA, parent=org)
    team = make.unit(tenant, "Hjemmeplejen", parent=area)
    other_team = make.unit(tenant, "Tandplejen", parent=area)
    other_tenant = make.tenant(f"{slug}-nabo", name="Nabo Kommune")
    other_unit = make.unit(other_tenant, "Nabo-teamet")
    return World(
        tenant=tenant, org=org, area=area, team=team, other_team=other_team,
        leader=make.user(tenant, "Lene Leder", leader_of=team),
        anna=make.user(tenant, "Anna Andersen", unit=team),
        bo=make.user(tenant, "Bo Berg", unit=team),
        carl=make.user(tenant, "Carl Clausen", unit=team),
        other_leader=make.user(tenant, "Ole Olsen", leader_of=other_team),
        dina=make.user(tenant, "Dina Dahl", unit=other_team),
        area_leader=make.user(tenant, "Alma Områdechef", leader_of=area),
        hr=make.user(tenant, "Hanne HR", roles=(TenantRoleName.HR,)),
        hovedudvalg=make.user(tenant, "Hugo HU", roles=(TenantRoleName.HOVEDUDVALG,)),
        admin=make.user(tenant, "Ada Admin", roles=(TenantRoleName.ADMIN,)),
        other_tenant=other_tenant,
        stranger=make.user(other_tenant, "Svend Fremmed", leader_of=other_unit),
    )
