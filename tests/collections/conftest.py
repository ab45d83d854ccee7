"""A municipality with an area big enough to be named, its people, and a neighbour tenant."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from web.examples.models import ExampleKind
from web.orgs.models import OrgUnit, UnitKind
from web.tenancy import tenant_scope
from web.tenants.models import Tenant
from web.users.models import TenantRoleName, User

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
    tenant = make.tenant("solby", name="Solby Kommune")
    org = make.unit(tenant, "Solby Kommune", UnitKind.ORGANISATION)
    area = make.unit(tenant, "Børn og Unge", UnitKind.AREA, parent=org)
    department = make.unit(tenant, "Dagtilbud Nord", UnitKind.DEPARTMENT, parent=area)
    team = make.unit(tenant, "Solsikken", UnitKind.TEAM, parent=department)
    small_area = make.unit(tenant, "Teknik", UnitKind.AREA, parent=org)
    small_team = make.unit(tenant, "Vej og Park", UnitKind.TEAM, parent=small_area)
    staff = make.unit(tenant, "Stab", UnitKind.DEPARTMENT, parent=org)
    author = make.user(tenant, "Hanne Jensen", unit=team)
    colleague = make.user(tenant, "Anne Marie Holm Hansen", unit=team)
    for name in ("Bo Bech", "Carl Christensen", "Emil Eriksen"):
        make.user(tenant, name, unit=team)
    make.user(tenant, "Søren Østergård", unit=small_team)
    neighbour = make.tenant("nabo", name="Nabo Kommune")
    neighbour_unit = make.unit(neighbour, "Nabo-team")
    return Town(
        tenant=tenant, area=area, department=department, team=team, small_area=small_area,
        small_team=small_team, author=author, colleague=colleague,
        leader=make.user(tenant, "Mette Sørensen", leader_of=team),
        hr=make.user(tenant, "Henrik Rask", unit=staff, roles=(TenantRoleName.HR,)),
        hovedudvalg=make.user(tenant, "Karen Mortensen", unit=staff,
                              roles=(TenantRoleName.HOVEDUDVALG,)),
        admin=make.user(tenant, "Birgitte Holm", unit=staff, roles=(TenantRoleName.ADMIN,)),
        neighbour=neighbour,
        neighbour_hr=make.user(neighbour, "Kirsten Berg", unit=neighbour_unit,
                               roles=(TenantRoleName.HR,)),
    )


@pytest.fixture
def scope(app, db_session):
    """Run a block as a tenant, in a request context (services use gettext and ``g``)."""

    @contextmanager
    def enter(tenant: Tenant) -> Iterator[None]:
        with app.test_request_context("/"), tenant_scope(tenant.id):
            yield

    return enter


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
