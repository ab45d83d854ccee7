"""The tests' small municipalities, built one way.

A municipality is a tenant with a tree of units and people in them (an employee of one unit, the
leader of another, tenant roles), listed as `Unit` and `Person` rows; `build_tenant` makes the
rows in the order listed and answers them by key. Suites whose tests assert their own names keep
their own lists (tests/dashboards/world.py, tests/collections/conftest.py); `build_world` is the
one the API and cycle tests share:

    Solby Kommune (organisation)
    ├── Børn og Unge (area)
    │   └── Dagtilbud Nord (department)   Dorte leads it
    │       ├── Solsikken (team)          Lars leads; Anna, Bo and Carl work there
    │       └── Mælkebøtten (team)        Mia leads; Emil works there
    └── Stab (department)                 Hanne (HR), Karen (Hovedudvalg), Birgitte (admin)
    plus Olga, leader, HR and admin in another tenant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from web.orgs.models import OrgUnit, UnitKind
from web.tenants.models import Tenant
from web.users.models import TenantRoleName, User

T = TypeVar("T")

HR = (TenantRoleName.HR,)
HOVEDUDVALG = (TenantRoleName.HOVEDUDVALG,)
ADMIN = (TenantRoleName.ADMIN,)


@dataclass(frozen=True)
class Unit:
    key: str
    name: str
    kind: UnitKind = UnitKind.TEAM
    parent: str | None = None  # key of a unit listed before


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    unit: str | None = None  # works there
    leads: str | None = None
    roles: tuple[TenantRoleName, ...] = ()


def works_in(unit: str, **names: str) -> tuple[Person, ...]:
    """Employees of ``unit``: ``works_in("team", anna="Anna Andersen", ...)``."""
    return tuple(Person(key, name, unit=unit) for key, name in names.items())


def tenant_roles(
    *, hr: str, hovedudvalg: str, admin: str, unit: str | None = None
) -> tuple[Person, ...]:
    """One person in each tenant role (keys ``hr``, ``hovedudvalg``, ``admin``)."""
    return (
        Person("hr", hr, unit=unit, roles=HR),
        Person("hovedudvalg", hovedudvalg, unit=unit, roles=HOVEDUDVALG),
        Person("admin", admin, unit=unit, roles=ADMIN),
    )


def build_tenant(
    make, slug: str, units: Iterable[Unit], people: Iterable[Person], **tenant: Any
) -> dict[str, Any]:
    """A tenant (key ``tenant``), then its units, then its people, each under its key."""
    rows: dict[str, Any] = {"tenant": make.tenant(slug, **tenant)}

    def unit(key: str | None) -> OrgUnit | None:
        return rows[key] if key is not None else None  # a mistyped key fails, not drops

    for u in units:
        assert u.key not in rows, u.key
        rows[u.key] = make.unit(rows["tenant"], u.name, u.kind, parent=unit(u.parent))
    for p in people:
        assert p.key not in rows, p.key
        rows[p.key] = make.user(
            rows["tenant"], p.name, unit=unit(p.unit), leader_of=unit(p.leads), roles=p.roles
        )
    return rows


def picked(cls: type[T], rows: dict[str, Any], **more: Any) -> T:
    """``cls`` (a dataclass) from the rows its fields name; rows no test needs are left out."""
    values = {**rows, **more}
    return cls(**{f.name: values[f.name] for f in fields(cls)})


# Solby's organisation down to the team Solsikken, which more than one suite's world shares.
SOLSIKKEN = (
    Unit("org", "Solby Kommune", UnitKind.ORGANISATION),
    Unit("area", "Børn og Unge", UnitKind.AREA, parent="org"),
    Unit("department", "Dagtilbud Nord", UnitKind.DEPARTMENT, parent="area"),
    Unit("team", "Solsikken", parent="department"),
)
STAB = Unit("staff", "Stab", UnitKind.DEPARTMENT, parent="org")


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
    stranger_unit: OrgUnit
    stranger: User  # leader, HR and admin in the other tenant


def build_world(make, *, settings: dict[str, Any] | None = None) -> World:
    """Solby as drawn above; ``settings`` are the tenant's (e.g. its values)."""
    solby = build_tenant(
        make,
        "solby",
        name="Solby Kommune",
        settings=settings or {},
        units=(*SOLSIKKEN, Unit("other_team", "Mælkebøtten", parent="department"), STAB),
        people=(
            Person("leader", "Lars Leder", leads="team"),
            Person("department_leader", "Dorte Afdelingsleder", leads="department"),
            Person("other_leader", "Mia Leder", leads="other_team"),
            *works_in("team", anna="Anna Andersen", bo="Bo Bech", carl="Carl Christensen"),
            *works_in("other_team", emil="Emil Eriksen"),
            *tenant_roles(
                hr="Hanne HR", hovedudvalg="Karen HU", admin="Birgitte Admin", unit="staff"
            ),
        ),
    )
    nabo = build_tenant(
        make,
        "nabo",
        units=[Unit("unit", "Nabo-team")],
        people=[Person("stranger", "Olga Udefra", leads="unit", roles=(*HR, *ADMIN))],
    )
    return picked(
        World,
        solby,
        stranger_tenant=nabo["tenant"],
        stranger_unit=nabo["unit"],
        stranger=nabo["stranger"],
    )


def values_world(make) -> World:
    """Solby with the values it works by (the cycle tests' world)."""
    return build_world(
        make, settings={"values": ["Tillid", "Udvikling", "Fællesskab", "Ordentlighed"]}
    )
