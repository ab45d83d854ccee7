"""The leader dashboard: the cycles of the units I lead (and below), participation, overdue."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from web.cycles.models import ActionStatus, Phase
from web.models import today as local_today


def test_leader_sees_participation_and_overdue_actions(world, make, login):
    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.AGREEMENTS)
    for person in (world.anna, world.bo):
        make.participation(world.tenant, cycle, person)
    make.participation(world.tenant, cycle, world.dina)  # not a member: not counted
    late = local_today() - timedelta(days=3)
    make.action(world.tenant, cycle, world.carl, text="For sent", due_on=late)
    make.action(
        world.tenant, cycle, world.carl, text="Gjort", due_on=late, status=ActionStatus.DONE
    )
    make.action(world.tenant, cycle, world.anna, text="I tide")
    html = login(world.leader).get(world.url("/units")).get_data(as_text=True)
    row = re.split(r'<th scope="row"[^>]*>', html)[1].split("</tr>")[0]
    assert "Hjemmeplejen" in row and "Aftaler" in row
    assert "2 af 4" in row  # leader, anna, bo, carl are the members
    assert "For sent" in html and "Carl Clausen" in html
    assert "Gjort" not in html and "I tide" not in html.split('id="overdue"')[1]
    assert "<caption>" in html


def test_area_leader_sees_the_teams_below_and_idle_units(world, make, login):
    make.cycle(world.tenant, world.team, leader=world.leader)
    make.cycle(world.tenant, world.other_team, leader=world.other_leader, phase=Phase.CLOSED)
    html = login(world.area_leader).get(world.url("/units")).get_data(as_text=True)
    open_part = html.split('id="open-cycles"')[1].split("</section>")[0]
    assert "Hjemmeplejen" in open_part and "Tandplejen" not in open_part
    idle = html.split('id="idle-units"')[1]
    assert "Tandplejen" in idle and "Sundhed" in idle


def test_another_leader_sees_nothing_of_my_team(world, make, login):
    make.cycle(world.tenant, world.team, leader=world.leader)
    html = login(world.other_leader).get(world.url("/units")).get_data(as_text=True)
    assert "Hjemmeplejen" not in html.split('id="open-cycles"')[1]


@pytest.mark.parametrize(
    ("who", "status"), [("anna", 403), ("hr", 403), ("hovedudvalg", 403), ("admin", 403)]
)
def test_only_leaders_have_the_dashboard(world, login, who, status):
    assert login(getattr(world, who)).get(world.url("/units")).status_code == status


def test_signed_out_and_another_tenant(world, client, login):
    assert client.get(world.url("/units")).status_code == 401
    login(world.stranger)
    assert client.get(world.url("/units")).status_code == 401  # not signed in here
    html = client.get(f"/t/{world.other_tenant.slug}/units").get_data(as_text=True)
    assert "Hjemmeplejen" not in html


def test_a_long_overdue_list_shows_the_oldest_and_says_how_many(world, make, login):
    from web.dashboards.queries import LEADER_OVERDUE

    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.FOLLOW_UP)
    for days in range(1, LEADER_OVERDUE + 4):
        make.action(
            world.tenant,
            cycle,
            world.carl,
            text=f"Handling {days:02d} dage over",
            due_on=local_today() - timedelta(days=days),
        )
    html = login(world.leader).get(world.url("/units")).get_data(as_text=True)
    overdue = html.split('id="overdue"')[1]
    assert overdue.count("dage over</a>") == LEADER_OVERDUE
    oldest = LEADER_OVERDUE + 3
    assert f"Handling {oldest:02d} dage over" in overdue and "Handling 01 dage over" not in overdue
    assert f"de {LEADER_OVERDUE} ældste af {LEADER_OVERDUE + 3}" in overdue


def test_overdue_action_without_owner_and_a_unit_led_twice(world, make, login, scope):
    """An action nobody owns says so; a team led directly and through its area is one row."""
    from web.orgs.models import Membership, MembershipRole

    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.FOLLOW_UP)
    make.action(
        world.tenant, cycle, None, text="Uden ejer", due_on=local_today() - timedelta(days=1)
    )
    with scope(world.tenant):
        from web.extensions import db

        db.session.add(
            Membership(
                user_id=world.area_leader.id, unit_id=world.team.id, role=MembershipRole.LEADER
            )
        )
        db.session.commit()
    html = login(world.area_leader).get(world.url("/units")).get_data(as_text=True)
    open_part = html.split('id="open-cycles"')[1].split("</section>")[0]
    assert len(re.findall(r'<th scope="row"[^>]*>', open_part)) == 1 and "Hjemmeplejen" in open_part
    overdue = html.split('id="overdue"')[1].split("</section>")[0]
    assert "Uden ejer" in overdue and re.search(r"<td[^>]*>Ingen</td>", overdue)
    assert f'/cycles/{cycle.id}/actions"' in open_part and f'/cycles/{cycle.id}/actions"' in overdue


def test_the_dashboard_in_english(world, make, login):
    """Labels, phase and dates come in the page's language (cached per language)."""
    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.FOLLOW_UP)
    make.action(world.tenant, cycle, world.carl, text="Sent", due_on=date(2026, 3, 2))
    client = login(world.leader)
    danish = client.get(world.url("/units")).get_data(as_text=True)
    with client.session_transaction() as session:
        session["lang"] = "en"
    english = client.get(world.url("/units")).get_data(as_text=True)
    assert "2. mar. 2026" in danish and "Mar 2, 2026" in english
    assert "Overskredne handlinger" in danish and "Overskredne handlinger" not in english
