"""A team with a cycle closed long ago and one closed recently, each with answers of every
visibility, an action and an example; and a neighbour tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from web.cycles.models import Contribution, Cycle, CyclePrompt, Phase, PromptKind, Visibility
from web.extensions import db
from web.orgs.models import OrgUnit
from web.tenants.models import Tenant
from web.users.models import TenantRoleName, User


@dataclass
class Team:
    tenant: Tenant
    unit: OrgUnit
    leader: User
    anna: User
    bo: User
    admin: User
    old: Cycle  # closed four years ago
    recent: Cycle  # closed last month
    neighbour: Tenant
    neighbour_user: User


def answers(make, tenant, cycle: Cycle, author: User, tag: str) -> dict[Visibility, int]:
    ids = {}
    with make.scope(tenant):
        for position, visibility in enumerate(Visibility):
            prompt = CyclePrompt(cycle_id=cycle.id, position=position,
                                 kind=PromptKind.SENTENCE, text_da=f"Spørgsmål {position}")
            db.session.add(prompt)
            db.session.flush()
            row = Contribution(cycle_id=cycle.id, prompt_id=prompt.id, author_id=author.id,
                               visibility=visibility, text=f"{tag} {visibility.value}")
            db.session.add(row)
            db.session.flush()
            ids[visibility] = row.id
    return ids


@pytest.fixture
def team(make) -> Team:
    tenant = make.tenant("solby", name="Solby Kommune")
    unit = make.unit(tenant, "Solsikken")
    leader = make.user(tenant, "Lars Leder", leader_of=unit)
    anna = make.user(tenant, "Anna Andersen", unit=unit)
    now = datetime.now(UTC)
    old = make.cycle(tenant, unit, leader=leader, phase=Phase.CLOSED,
                     closed_at=now - timedelta(days=4 * 365))
    recent = make.cycle(tenant, unit, leader=leader, phase=Phase.CLOSED,
                        closed_at=now - timedelta(days=30))
    neighbour = make.tenant("nabo")
    return Team(tenant=tenant, unit=unit, leader=leader, anna=anna,
                bo=make.user(tenant, "Bo Bech", unit=unit),
                admin=make.user(tenant, "Birgitte Admin", roles=(TenantRoleName.ADMIN,)),
                old=old, recent=recent, neighbour=neighbour,
                neighbour_user=make.user(neighbour, "Olga Udefra"))
