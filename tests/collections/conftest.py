"""A municipality with an area big enough to be named, its people, and a neighbour tenant
(built as every test world is, by tests/world.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.world import (
    HR,
    SOLSIKKEN,
    STAB,
    Person,
    Unit,
    build_tenant,
    picked,
    tenant_roles,
    works_in,
)
from web.examples.models import ExampleKind
from web.orgs.models import OrgUnit, UnitKind
from web.tenants.models import Tenant
from web.users.models import User

TEXT = ("Hanne Jensen tog ordet, og Hanne Jensens idé blev til en plan. Ring på 12 34 56 78 "
        "eller skriv til hanne@solby.dk. CPR 010203-1234 hører ikke hjemme her. "
        "Kirsten Berg fra nabokommunen var med.")


@dataclass
class Town:
    tenant: Tenant
    area: OrgUnit
    department: OrgUnit
    team: OrgUnit
    small_area: OrgUnit  # fewer than k people: never named
    small_team: OrgUnit
    author: User  # Hanne Jensen
    colleague: User
    leader: User
    hr: User
    hovedudvalg: User
    admin: User
    neighbour: Tenant
    neighbour_hr: User  # Kirsten Berg, HR in the other tenant


@pytest.fixture
def town(make) -> Town:
    solby = build_tenant(
        make, "solby", name="Solby Kommune",
        units=(*SOLSIKKEN, Unit("small_area", "Teknik", UnitKind.AREA, parent="org"),
               Unit("small_team", "Vej og Park", parent="small_area"), STAB),
        people=(*works_in("team", author="Hanne Jensen", colleague="Anne Marie Holm Hansen",
                          bo="Bo Bech", carl="Carl Christensen", emil="Emil Eriksen"),
                *works_in("small_team", soren="Søren Østergård"),  # Teknik's only one
                Person("leader", "Mette Sørensen", leads="team"),
                *tenant_roles(hr="Henrik Rask", hovedudvalg="Karen Mortensen",
                              admin="Birgitte Holm", unit="staff")))
    nabo = build_tenant(make, "nabo", name="Nabo Kommune", units=[Unit("unit", "Nabo-team")],
                        people=[Person("hr", "Kirsten Berg", unit="unit", roles=HR)])
    return picked(Town, solby, neighbour=nabo["tenant"], neighbour_hr=nabo["hr"])


def offered(make, town: Town, **kw):
    from datetime import UTC, datetime

    kw.setdefault("text", TEXT)
    kw.setdefault("title", "Hanne Jensens morgenmøde")
    kw.setdefault("kind", ExampleKind.GOOD)
    return make.example(town.tenant, kw.pop("unit", town.team), kw.pop("author", town.author),
                        is_offered=True, offered_at=datetime.now(UTC), **kw)


@pytest.fixture
def compiled(make, town, scope):
    """Compile the town's collection now (commits, like the task)."""
    from web.collections.compilation import compile_collection
    from web.extensions import db

    def run():
        with scope(town.tenant):
            result = compile_collection()
            db.session.commit()
        return result

    return run


# HR's decision on TEXT's one possible finding (a name outside the directory), so it can be
# approved (issue 13: approval waits until every possible finding is decided).
KEEP = {("text", "Kirsten Berg"): "keep"}
