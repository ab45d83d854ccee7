"""Starting a cycle, its dates, its phase moves and the next cycle (services, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from web.cycles.models import Action, ActionStatus, Cycle, Phase, PhaseChange
from web.cycles.services import cycles as svc
from web.cycles.services.actions import team_members
from web.cycles.services.common import CycleDates
from web.cycles.services.templates import ensure_default_template
from web.errors import Conflict, InputError
from web.extensions import db

CPH = ZoneInfo("Europe/Copenhagen")
D = date(2027, 3, 1)


def dates(**kw) -> CycleDates:
    values = {
        "preparation_starts_on": D,
        "preparation_ends_on": D + timedelta(days=14),
        "meeting_at": datetime(2027, 3, 16, 9, 30, tzinfo=CPH),
        "meeting_place": "Lokale 2",
        "follow_up_on": D + timedelta(days=90),
    }
    values.update(kw)
    return CycleDates(**values)


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_start_cycle_snapshots_prompts_and_dates(scoped):
    w = scoped
    template = ensure_default_template()
    cycle = svc.start_cycle(w.leader, w.team, template, dates(meeting_place="  Lokale 2 "))
    assert cycle.phase == Phase.PREPARATION and cycle.leader_id == w.leader.id
    assert cycle.template_id == template.id and cycle.template_version == 1
    assert [p.text_da for p in cycle.prompts] == [p.text_da for p in template.prompts]
    assert cycle.meeting_place == "Lokale 2"
    assert cycle.meeting_at == datetime(2027, 3, 16, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"preparation_ends_on": D - timedelta(days=1)}, "preparation_ends_on"),
        # 22:30 UTC on the 14th is still the 14th in Copenhagen: before preparation ends (15th).
        ({"meeting_at": datetime(2027, 3, 14, 22, 30, tzinfo=UTC)}, "meeting_on"),
        ({"follow_up_on": D + timedelta(days=10)}, "follow_up_on"),
        ({"meeting_at": None, "follow_up_on": D + timedelta(days=13)}, "follow_up_on"),
        ({"meeting_place": "x" * 201}, "meeting_place"),
    ],
)
def test_dates_out_of_order_are_refused_and_nothing_is_written(scoped, kw, field):
    w = scoped
    with pytest.raises(InputError) as exc:
        svc.start_cycle(w.leader, w.team, ensure_default_template(), dates(**kw))
    assert field in exc.value.errors
    assert count(Cycle) == 0


def test_the_meeting_day_is_the_day_in_copenhagen(scoped):
    # 23:30 UTC on the 14th is 00:30 on the 15th in Copenhagen: the last day of preparation.
    w = scoped
    cycle = svc.start_cycle(
        w.leader,
        w.team,
        ensure_default_template(),
        dates(meeting_at=datetime(2027, 3, 14, 23, 30, tzinfo=UTC)),
    )
    assert cycle.id


def test_equal_dates_are_in_order(scoped):
    w = scoped
    svc.start_cycle(
        w.leader,
        w.team,
        ensure_default_template(),
        dates(
            preparation_ends_on=D, meeting_at=datetime(2027, 3, 1, 12, tzinfo=CPH), follow_up_on=D
        ),
    )


def test_one_open_cycle_per_unit(scoped):
    w = scoped
    svc.start_cycle(w.leader, w.team, ensure_default_template(), dates())
    with pytest.raises(Conflict) as exc:
        svc.start_cycle(w.leader, w.team, ensure_default_template(), dates())
    assert "afsluttet" in exc.value.message
    assert count(Cycle) == 1


def test_a_template_is_required(scoped):
    w = scoped
    with pytest.raises(InputError) as exc:
        svc.start_cycle(w.leader, w.team, None, dates())
    assert "template_id" in exc.value.errors


def test_phases_move_one_step_forward_and_each_move_is_recorded(scoped, make):
    w = scoped
    cycle = make.started_cycle(w.tenant, w.team, w.leader)
    for phase in (Phase.MEETING, Phase.AGREEMENTS, Phase.FOLLOW_UP, Phase.CLOSED):
        svc.move_phase(w.leader, cycle, phase)
        assert cycle.phase == phase
    assert cycle.closed_at is not None
    moves = [(c.from_phase, c.to_phase, c.changed_by_id) for c, _ in svc.phase_history(cycle)]
    assert moves == [
        (Phase.PREPARATION, Phase.MEETING, w.leader.id),
        (Phase.MEETING, Phase.AGREEMENTS, w.leader.id),
        (Phase.AGREEMENTS, Phase.FOLLOW_UP, w.leader.id),
        (Phase.FOLLOW_UP, Phase.CLOSED, w.leader.id),
    ]


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Phase.PREPARATION, Phase.AGREEMENTS),  # skipping a phase
        (Phase.PREPARATION, Phase.CLOSED),
        (Phase.MEETING, Phase.MEETING),  # standing still
        (Phase.FOLLOW_UP, Phase.MEETING),  # two steps back
        (Phase.PREPARATION, Phase.PREPARATION),
    ],
)
def test_moves_that_are_not_allowed(scoped, make, start, target):
    w = scoped
    cycle = make.started_cycle(w.tenant, w.team, w.leader, phase=start)
    changes = count(PhaseChange)
    with pytest.raises(Conflict) as exc:
        svc.move_phase(w.leader, cycle, target, reason="fordi")
    assert "_form" in exc.value.errors
    assert cycle.phase == start and count(PhaseChange) == changes


def test_a_step_back_needs_a_reason(scoped, make):
    w = scoped
    cycle = make.started_cycle(w.tenant, w.team, w.leader, phase=Phase.AGREEMENTS)
    for reason in (None, "   "):
        with pytest.raises(InputError) as exc:
            svc.move_phase(w.leader, cycle, Phase.MEETING, reason)
        assert "reason" in exc.value.errors
    with pytest.raises(InputError) as exc:
        svc.move_phase(w.leader, cycle, Phase.MEETING, "x" * 1001)
    assert "reason" in exc.value.errors
    assert cycle.phase == Phase.AGREEMENTS
    change = svc.move_phase(w.leader, cycle, Phase.MEETING, " Vi nåede ikke alt. ")
    assert cycle.phase == Phase.MEETING and change.reason == "Vi nåede ikke alt."


def test_a_stale_move_is_refused(scoped, make):
    w = scoped
    cycle = make.started_cycle(w.tenant, w.team, w.leader, phase=Phase.MEETING)
    with pytest.raises(Conflict):
        svc.move_phase(w.leader, cycle, Phase.AGREEMENTS, expected_from=Phase.PREPARATION)
    assert cycle.phase == Phase.MEETING


def test_reopening_a_closed_cycle_clears_closed_at(scoped, make):
    w = scoped
    cycle = make.started_cycle(w.tenant, w.team, w.leader, phase=Phase.CLOSED)
    svc.move_phase(w.leader, cycle, Phase.FOLLOW_UP, "En aftale manglede opfølgning.")
    assert cycle.phase == Phase.FOLLOW_UP and cycle.closed_at is None


def test_next_cycle_carries_the_open_actions_over(scoped, make):
    w = scoped
    cycle = make.started_cycle(w.tenant, w.team, w.leader, phase=Phase.CLOSED)
    planned = make.action(
        w.tenant,
        cycle,
        w.anna,
        "Fast morgenmøde",
        status=ActionStatus.PLANNED,
        kkc="coordination",
        expectation="responsibility",
    )
    going = make.action(w.tenant, cycle, w.bo, "Makkerpar", status=ActionStatus.IN_PROGRESS)
    make.action(w.tenant, cycle, w.carl, "Færdig", status=ActionStatus.DONE)
    make.action(w.tenant, cycle, w.carl, "Opgivet", status=ActionStatus.DROPPED)

    new = svc.start_next_cycle(
        w.leader,
        cycle,
        ensure_default_template(),
        dates(
            preparation_starts_on=date(2027, 9, 1),
            preparation_ends_on=date(2027, 9, 14),
            meeting_at=None,
            follow_up_on=None,
        ),
    )
    assert new.previous_cycle_id == cycle.id and new.unit_id == cycle.unit_id
    assert new.phase == Phase.PREPARATION
    carried = db.session.scalars(
        select(Action).where(Action.cycle_id == new.id).order_by(Action.carried_from_id)
    ).all()
    assert [(a.text, a.owner_id, a.status, a.carried_from_id) for a in carried] == [
        ("Fast morgenmøde", w.anna.id, ActionStatus.PLANNED, planned.id),
        ("Makkerpar", w.bo.id, ActionStatus.IN_PROGRESS, going.id),
    ]
    assert carried[0].kkc == "coordination" and carried[0].expectation == "responsibility"
    assert db.session.scalar(select(func.count(Action.id)).where(Action.cycle_id == cycle.id)) == 4

    with pytest.raises(Conflict):  # only one next cycle
        svc.start_next_cycle(w.leader, cycle, ensure_default_template(), dates())
    with pytest.raises(Conflict) as exc:  # and the closed one cannot reopen any more
        svc.move_phase(w.leader, cycle, Phase.FOLLOW_UP, "Hov")
    assert "_form" in exc.value.errors


def test_next_cycle_only_after_closing(scoped, make):
    w = scoped
    cycle = make.started_cycle(w.tenant, w.team, w.leader, phase=Phase.FOLLOW_UP)
    with pytest.raises(Conflict):
        svc.start_next_cycle(w.leader, cycle, ensure_default_template(), dates())
    assert count(Cycle) == 1


def test_update_cycle_dates_and_facilitator(scoped, make):
    w = scoped
    cycle = make.started_cycle(w.tenant, w.team, w.leader)
    svc.update_cycle(w.leader, cycle, dates(meeting_place="Kantinen"), w.anna.id)
    assert cycle.facilitator_id == w.anna.id and cycle.meeting_place == "Kantinen"
    with pytest.raises(InputError) as exc:
        svc.update_cycle(w.leader, cycle, dates(), w.emil.id)  # not in the team
    assert "facilitator_id" in exc.value.errors
    with pytest.raises(InputError) as exc:
        svc.update_cycle(w.leader, cycle, dates(preparation_ends_on=D - timedelta(days=1)), None)
    assert "preparation_ends_on" in exc.value.errors
    assert cycle.facilitator_id == w.anna.id


def test_members_include_subunits_only_when_asked(scoped, make):
    w = scoped
    team_cycle = make.started_cycle(w.tenant, w.team, w.leader)
    names = [u.display_name for u in team_members(team_cycle)]
    assert names == ["Anna Andersen", "Bo Bech", "Carl Christensen", "Lars Leder"]
    dept = make.started_cycle(w.tenant, w.department, w.department_leader, include_subunits=True)
    assert svc.member_count(dept) == 7  # Dorte, Lars, Anna, Bo, Carl, Mia, Emil
