"""A small municipality for the cycle tests: one person per role, and a second tenant."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from web.orgs.models import OrgUnit, UnitKind
from web.tenancy import tenant_scope
from web.tenants.models import Tenant
from web.users.models import TenantRoleName, User


@dataclass
class World:
    tenant: Tenant
    area: OrgUnit
    department: OrgUnit
    team: OrgUnit  # Solsikken: Lars leads; Anna, Bo and Carl work there
    other_team: OrgUnit  # Mælkebøtten: Mia leads; Emil works there
    leader: User
    department_leader: User
    other_leader: User
    anna: User
    bo: User
    carl: User
    emil: User
    hr: User
    hovedudvalg: User
    admin: User
    stranger_tenant: Tenant
    stranger: User  # leader and HR in the other tenant


@pytest.fixture
def world(make) -> World:
    tenant = make.tenant("solby", name="Solby Kommune",
                         settings={"values": ["Tillid", "Udvikling", "Fællesskab",
                                              "Ordentlighed"]})
    org = make.unit(tenant, "Solby Kommune", UnitKind.ORGANISATION)
    area = make.unit(tenant, "Børn og Unge", UnitKind.AREA, parent=org)
    department = make.unit(tenant, "Dagtilbud Nord", UnitKind.DEPARTMENT, parent=area)
    team = make.unit(tenant, "Solsikken", UnitKind.TEAM, parent=department)
    other_team = make.unit(tenant, "Mælkebøtten", UnitKind.TEAM, parent=department)
    staff = make.unit(tenant, "Stab", UnitKind.DEPARTMENT, parent=org)
    other = make.tenant("nabo")
    other_unit = make.unit(other, "Nabo-team")
    return World(
        tenant=tenant, area=area, department=department, team=team, other_team=other_team,
        leader=make.user(tenant, "Lars Leder", leader_of=team),
        department_leader=make.user(tenant, "Dorte Afdelingsleder", leader_of=department),
        other_leader=make.user(tenant, "Mia Leder", leader_of=other_team),
        anna=make.user(tenant, "Anna Andersen", unit=team),
        bo=make.user(tenant, "Bo Bech", unit=team),
        carl=make.user(tenant, "Carl Christensen", unit=team),
        emil=make.user(tenant, "Emil Eriksen", unit=other_team),
        hr=make.user(tenant, "Hanne HR", unit=staff, roles=(TenantRoleName.HR,)),
        hovedudvalg=make.user(tenant, "Karen HU", unit=staff,
                              roles=(TenantRoleName.HOVEDUDVALG,)),
        admin=make.user(tenant, "Birgitte Admin", unit=staff, roles=(TenantRoleName.ADMIN,)),
        stranger_tenant=other,
        stranger=make.user(other, "Olga Udefra", leader_of=other_unit,
                           roles=(TenantRoleName.HR, TenantRoleName.ADMIN)),
    )


@pytest.fixture
def scoped(world, ctx):
    """Inside a request context in the world's tenant scope, for calling services directly."""
    with tenant_scope(world.tenant.id):
        yield world
