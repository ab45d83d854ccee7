"""Every overview page sends the same number of SQL statements however much data there is.

Each test measures a page on a small municipality, then adds more units, members, cycles,
contributions, actions and examples, and measures again: an N+1 shows as a higher count.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.querycount import queries_for
from web.cycles.models import ActionStatus, Phase
from web.models import today as local_today
from web.orgs.models import UnitKind


def populate(world, make, size: int) -> int:
    """``size`` more teams in a new area (and one small area), each with a running cycle,
    members who contributed, actions (some overdue) and examples. Returns a cycle id of
    Hjemmeplejen."""
    late = local_today() - timedelta(days=2)
    campaign = make.campaign(world.tenant)
    area = make.unit(world.tenant, f"Område {size}", kind=UnitKind.AREA, parent=world.org)
    small = make.unit(world.tenant, f"Lille område {size}", kind=UnitKind.AREA, parent=world.org)
    make.cycle(world.tenant, make.unit(world.tenant, parent=small), campaign=campaign)
    for n in range(size):
        team = make.unit(world.tenant, f"Team {size}-{n}", parent=area)
        # The area's leader leads these teams too, so the leader dashboard grows with them.
        make.user(world.tenant, leader_of=team)
        people = [make.user(world.tenant, unit=team) for _ in range(3)]
        cycle = make.cycle(world.tenant, team, campaign=campaign, phase=list(Phase)[n % len(Phase)])
        for person in people[:2]:
            make.participation(world.tenant, cycle, person)
        for person in people:
            make.action(world.tenant, cycle, person, due_on=late)
        make.example(world.tenant, team, people[0])
    ours = make.cycle(
        world.tenant, world.team, leader=world.leader, phase=Phase.AGREEMENTS, campaign=campaign
    )
    for person in (world.anna, world.bo, world.carl):
        make.participation(world.tenant, ours, person)
        make.action(world.tenant, ours, person, due_on=late)
        make.action(world.tenant, ours, person, status=ActionStatus.DONE)
        make.example(world.tenant, world.team, person)
    return ours.id


def make_area_leader_lead_everything(world, make):
    """The area leader also leads the organisation, so every new area is below them."""
    from web.extensions import db
    from web.orgs.models import Membership, MembershipRole

    with make.scope(world.tenant):
        db.session.add(
            Membership(
                user_id=world.area_leader.id, unit_id=world.org.id, role=MembershipRole.LEADER
            )
        )


PAGES = [
    ("anna", "/"),
    ("area_leader", "/units"),
    ("leader", "/units"),
    ("hr", "/overview"),
    ("hr", "/overview/units"),
    ("area_leader", "/units/actions"),
    ("anna", "/actions/mine"),
    ("bo", "/examples/"),
    ("leader", "/cycles/{cycle}/actions"),
]


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_queries_do_not_grow_with_the_data(world, make, login, who, path):
    make_area_leader_lead_everything(world, make)
    cycle = populate(world, make, 2)
    client = login(getattr(world, who))
    url = world.url(path.format(cycle=cycle))
    client.get(url)  # warm up: the first request of a client may set session keys
    small, small_log = queries_for(client, "get", url)
    assert small.status_code == 200

    cycle = populate(world, make, 12)
    url = world.url(path.format(cycle=cycle))
    large, large_log = queries_for(client, "get", url)
    assert large.status_code == 200
    assert large_log.count == small_log.count, (
        f"{path}: {small_log.count} statements with little data, {large_log.count} with more:"
        f"\n{large_log}"
    )
    assert large_log.count <= 12, str(large_log)


@pytest.mark.parametrize("who", ["leader", "area_leader"])
def test_the_leader_dashboard_sends_at_most_six_statements(world, make, login, who):
    """Tenant, its setting for row-level security, the user with roles and memberships, the
    units led and below, their open cycles with counts, the oldest overdue actions (was 9)."""
    make_area_leader_lead_everything(world, make)
    populate(world, make, 3)
    client = login(getattr(world, who))
    url = world.url("/units")
    client.get(url)
    response, log = queries_for(client, "get", url)
    assert response.status_code == 200
    assert log.count <= 6, str(log)


def test_the_employee_home_sends_at_most_seven_statements(world, make, login):
    """Tenant, its setting for row-level security, the user with roles and memberships, the
    team's examples and their expectation tags, the open cycles with whether the user
    contributed and their open actions in each (one statement: was three), the user's open
    actions (was 9)."""
    populate(world, make, 3)
    client = login(world.anna)
    url = world.url("/")
    client.get(url)
    response, log = queries_for(client, "get", url)
    assert response.status_code == 200
    assert log.count <= 7, str(log)
