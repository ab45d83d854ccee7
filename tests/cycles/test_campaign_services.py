"""HR's campaigns: one cycle per team below the chosen units, led by each team's leader."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from web.cycles.models import Campaign, Cycle, Phase
from web.cycles.services import campaigns as svc
from web.cycles.services.common import CycleDates
from web.cycles.services.templates import ensure_default_template
from web.errors import InputError
from web.extensions import db
from web.orgs.models import UnitKind

DATES = CycleDates(date(2027, 3, 1), date(2027, 3, 14), follow_up_on=date(2027, 6, 1))


@pytest.fixture
def leaderless(scoped, make):
    """A third team under the department, nobody leads it."""
    return make.unit(scoped.tenant, "Græshoppen", UnitKind.TEAM, parent=scoped.department)


def test_plan_lists_teams_below_with_their_leaders(scoped, leaderless):
    w = scoped
    plan = svc.plan_campaign([w.area.id])
    assert [(u.name, leader.display_name) for u, leader in plan.teams] == [
        ("Mælkebøtten", "Mia Leder"),
        ("Solsikken", "Lars Leder"),
    ]
    assert [u.name for u in plan.without_leader] == ["Græshoppen"]
    assert plan.with_open_cycle == []


def test_campaign_creates_one_cycle_per_led_team_with_common_dates(scoped, leaderless):
    w = scoped
    result = svc.start_campaign(
        w.hr, " Forår 2027 ", ensure_default_template(), [w.department.id], DATES
    )
    assert result.campaign.name == "Forår 2027"
    assert result.campaign.created_by_id == w.hr.id
    by_unit = {c.unit_id: c for c in result.cycles}
    assert set(by_unit) == {w.team.id, w.other_team.id}
    assert by_unit[w.team.id].leader_id == w.leader.id
    assert by_unit[w.other_team.id].leader_id == w.other_leader.id
    for cycle in result.cycles:
        assert cycle.campaign_id == result.campaign.id and cycle.phase == Phase.PREPARATION
        assert (cycle.preparation_starts_on, cycle.preparation_ends_on, cycle.follow_up_on) == (
            DATES.preparation_starts_on,
            DATES.preparation_ends_on,
            DATES.follow_up_on,
        )
        assert cycle.meeting_at is None and len(cycle.prompts) == 9
    assert [u.name for u in result.plan.without_leader] == ["Græshoppen"]


def test_a_team_with_a_running_cycle_gets_no_second_one(scoped, make):
    w = scoped
    make.started_cycle(w.tenant, w.team, w.leader)
    result = svc.start_campaign(w.hr, "Efterår", ensure_default_template(), [w.area.id], DATES)
    assert [c.unit_id for c in result.cycles] == [w.other_team.id]
    assert [u.name for u in result.plan.with_open_cycle] == ["Solsikken"]


def test_choosing_the_whole_municipality_or_a_single_team(scoped):
    w = scoped
    plan = svc.plan_campaign([w.team.id])
    assert [u.name for u, _ in plan.teams] == ["Solsikken"]
    root = w.area.parent_id
    assert len(svc.plan_campaign([root]).teams) == 2


@pytest.mark.parametrize(
    ("name", "units", "dates", "field"),
    [
        ("", "area", DATES, "name"),
        ("x" * 201, "area", DATES, "name"),
        ("Ok", None, DATES, "units"),
        ("Ok", "staff", DATES, "units"),  # no team below
        ("Ok", "area", CycleDates(date(2027, 3, 14), date(2027, 3, 1)), "preparation_ends_on"),
        (
            "Ok",
            "area",
            CycleDates(date(2027, 3, 1), date(2027, 3, 14), follow_up_on=date(2027, 3, 13)),
            "follow_up_on",
        ),
    ],
)
def test_bad_campaign_input_writes_nothing(scoped, name, units, dates, field):
    w = scoped
    unit_ids = {"area": [w.area.id], "staff": [_staff_id(w)], None: []}[units]
    with pytest.raises(InputError) as exc:
        svc.start_campaign(w.hr, name, ensure_default_template(), unit_ids, dates)
    assert field in exc.value.errors
    assert db.session.scalar(select(func.count(Campaign.id))) == 0
    assert db.session.scalar(select(func.count(Cycle.id))) == 0


def _staff_id(w) -> int:
    from web.orgs.models import Membership

    return db.session.scalar(select(Membership.unit_id).where(Membership.user_id == w.hr.id))


def test_all_teams_without_a_leader_is_an_error_not_an_empty_campaign(scoped, leaderless):
    w = scoped
    with pytest.raises(InputError) as exc:
        svc.start_campaign(w.hr, "Ok", ensure_default_template(), [leaderless.id], DATES)
    assert "units" in exc.value.errors


def test_unknown_unit_ids_are_refused(scoped, make):
    w = scoped
    foreign = make.unit(w.stranger_tenant, "Fremmed team")
    with pytest.raises(InputError) as exc:
        svc.start_campaign(w.hr, "Ok", ensure_default_template(), [w.team.id, foreign.id], DATES)
    assert "units" in exc.value.errors


def test_campaign_listing_counts_cycles(scoped, make):
    w = scoped
    result = svc.start_campaign(w.hr, "Forår", ensure_default_template(), [w.area.id], DATES)
    [(campaign, total, closed)] = svc.list_campaigns()
    assert (campaign.id, total, closed) == (result.campaign.id, 2, 0)
    rows = svc.campaign_cycles(campaign)
    assert [(unit, leader) for _, unit, leader in rows] == [
        ("Mælkebøtten", "Mia Leder"),
        ("Solsikken", "Lars Leder"),
    ]
