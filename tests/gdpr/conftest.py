"""A team with a cycle closed long ago and one closed recently, each with answers of every
visibility, an action and an example; and a neighbour tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.gdpr.teams import Team
from web.cycles.models import Phase
from web.users.models import TenantRoleName


@pytest.fixture
def team(make) -> Team:
    tenant = make.tenant("solby", name="Solby Kommune")
    unit = make.unit(tenant, "Solsikken")
    leader = make.user(tenant, "Lars Leder", leader_of=unit)
    anna = make.user(tenant, "Anna Andersen", unit=unit)
    now = datetime.now(UTC)
    old = make.cycle(
        tenant, unit, leader=leader, phase=Phase.CLOSED, closed_at=now - timedelta(days=4 * 365)
    )
    recent = make.cycle(
        tenant, unit, leader=leader, phase=Phase.CLOSED, closed_at=now - timedelta(days=30)
    )
    neighbour = make.tenant("nabo")
    return Team(
        tenant=tenant,
        unit=unit,
        leader=leader,
        anna=anna,
        bo=make.user(tenant, "Bo Bech", unit=unit),
        admin=make.user(tenant, "Birgitte Admin", roles=(TenantRoleName.ADMIN,)),
        old=old,
        recent=recent,
        neighbour=neighbour,
        neighbour_user=make.user(neighbour, "Olga Udefra"),
    )
