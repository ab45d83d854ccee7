"""The action services' rules: phases, dates, the team, the lengths; nothing half-saved."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from web.cycles.models import MAX_ACTION, Action, ActionStatus, Phase
from web.cycles.services import actions as services
from web.errors import FORM, Conflict, InputError
from web.extensions import db
from web.tenancy import tenant_scope
from web.vocabulary import KKC, Expectation


def copenhagen_today():
    return datetime.now(ZoneInfo("Europe/Copenhagen")).date()


@pytest.fixture
def scope(world, ctx):
    with tenant_scope(world.tenant.id):
        yield


@pytest.fixture
def cycle(world, make):
    return make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.AGREEMENTS)


def valid(world, **overrides):
    values = {
        "text": "Vi deler vagtplanen hver fredag",
        "owner_id": str(world.anna.id),
        "due_on": (copenhagen_today() + timedelta(days=14)).isoformat(),
        "expectation": "responsibility",
        "kkc": "coordination",
    }
    values.update(overrides)
    return values


def fresh(obj):
    """The factory's row, in this test's session (factories hand back detached rows)."""
    return db.session.get(type(obj), obj.id)


def count_actions() -> int:
    return db.session.scalar(select(func.count()).select_from(Action))


def test_leader_records_an_action_in_the_agreements_phase(world, cycle, scope):
    action = services.create_action(world.leader, cycle, **valid(world))
    assert action.id is not None
    assert action.owner_id == world.anna.id
    assert action.status == ActionStatus.PLANNED
    assert action.expectation == Expectation.RESPONSIBILITY
    assert action.kkc == KKC.COORDINATION
    assert action.due_on == copenhagen_today() + timedelta(days=14)


def test_expectation_and_kkc_are_optional_and_today_is_a_valid_due_date(world, cycle, scope):
    action = services.create_action(
        world.leader,
        cycle,
        **valid(world, expectation="", kkc=None, due_on=copenhagen_today().isoformat()),
    )
    assert action.expectation is None and action.kkc is None


def test_the_leader_may_own_an_action_too(world, cycle, scope):
    action = services.create_action(world.leader, cycle, **valid(world, owner_id=world.leader.id))
    assert action.owner_id == world.leader.id


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"text": "   "}, "text", "Skal udfyldes."),
        ({"text": "x" * (MAX_ACTION + 1)}, "text", f"Højst {MAX_ACTION} tegn"),
        ({"owner_id": ""}, "owner_id", "Vælg en ansvarlig."),
        ({"owner_id": "abc"}, "owner_id", "Skal være et helt tal."),  # as the API says it
        ({"due_on": ""}, "due_on", "Skal udfyldes."),
        ({"due_on": "31-12-2030"}, "due_on", "Skriv datoen som åååå-mm-dd."),
        ({"due_on": "2020-01-01"}, "due_on", "Fristen kan ikke ligge før i dag."),
        ({"expectation": "obedience"}, "expectation", "Ugyldigt valg."),
        ({"kkc": "control"}, "kkc", "Ugyldigt valg."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(world, cycle, scope, overrides, field, message):
    with pytest.raises(InputError) as raised:
        services.create_action(world.leader, cycle, **valid(world, **overrides))
    assert message in raised.value.errors[field]
    assert count_actions() == 0


def test_owner_must_be_in_the_cycles_team(world, cycle, scope):
    for outsider in (world.dina, world.hr, world.stranger):
        with pytest.raises(InputError) as raised:
            services.create_action(world.leader, cycle, **valid(world, owner_id=outsider.id))
        assert raised.value.errors["owner_id"] == "Den ansvarlige skal være med i teamet."
    assert count_actions() == 0


def test_a_cycle_with_subunits_takes_owners_from_every_subunit(world, make, scope):
    cycle = make.cycle(
        world.tenant,
        world.area,
        leader=world.area_leader,
        include_subunits=True,
        phase=Phase.AGREEMENTS,
    )
    action = services.create_action(
        world.area_leader, cycle, **valid(world, owner_id=world.dina.id)
    )
    assert action.owner_id == world.dina.id
    assert {u.id for u in services.team_members(cycle)} >= {
        world.anna.id,
        world.dina.id,
        world.leader.id,
    }


def test_every_error_is_reported_at_once(world, cycle, scope):
    with pytest.raises(InputError) as raised:
        services.create_action(
            world.leader, cycle, text="", owner_id="", due_on="", expectation="x", kkc="y"
        )
    assert set(raised.value.errors) == {"text", "owner_id", "due_on", "expectation", "kkc"}


@pytest.mark.parametrize("phase", [Phase.PREPARATION, Phase.MEETING, Phase.FOLLOW_UP, Phase.CLOSED])
def test_actions_are_recorded_only_in_the_agreements_phase(world, make, scope, phase):
    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=phase)
    with pytest.raises(Conflict) as raised:
        services.create_action(world.leader, cycle, **valid(world))
    assert FORM in raised.value.errors
    assert count_actions() == 0


def test_update_keeps_an_unchanged_past_due_date_but_refuses_a_new_one(world, make, cycle, scope):
    past = copenhagen_today() - timedelta(days=3)
    action = fresh(make.action(world.tenant, cycle, world.anna, due_on=past))
    services.update_action(
        world.leader, action, **valid(world, text="Omformuleret", due_on=past.isoformat())
    )
    assert action.text == "Omformuleret"
    with pytest.raises(InputError) as raised:
        services.update_action(
            world.leader,
            action,
            **valid(world, due_on=(past - timedelta(days=1)).isoformat(), text="Ikke gemt"),
        )
    assert raised.value.errors["due_on"] == "Fristen kan ikke ligge før i dag."
    db.session.refresh(action)
    assert action.text == "Omformuleret"


def test_status_can_be_set_in_agreements_and_follow_up_only(world, make, scope):
    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.FOLLOW_UP)
    action = fresh(make.action(world.tenant, cycle, world.anna))
    services.set_status(world.anna, action, "done")
    assert action.status == ActionStatus.DONE
    with pytest.raises(InputError) as raised:
        services.set_status(world.anna, action, "finished")
    assert raised.value.errors["status"] == "Ugyldigt valg."
    with pytest.raises(InputError):
        services.set_status(world.anna, action, "")
    closed = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.CLOSED)
    frozen = fresh(make.action(world.tenant, closed, world.anna))
    with pytest.raises(Conflict) as raised:
        services.set_status(world.anna, frozen, "done")
    assert FORM in raised.value.errors
    db.session.refresh(frozen)
    assert frozen.status == ActionStatus.PLANNED


def test_follow_up_records_what_happened_and_what_was_learned(world, make, scope):
    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.FOLLOW_UP)
    action = fresh(make.action(world.tenant, cycle, world.anna))
    services.record_follow_up(world.bo, action, outcome="  Vi gjorde det.\r\n", learning="")
    assert action.outcome == "Vi gjorde det."
    assert action.learning is None
    with pytest.raises(InputError) as raised:
        services.record_follow_up(world.bo, action, outcome="", learning="Noget")
    assert raised.value.errors["outcome"] == "Skal udfyldes."
    with pytest.raises(InputError) as raised:
        services.record_follow_up(
            world.bo, action, outcome="ok", learning="x" * (services.MAX_FOLLOW_UP + 1)
        )
    assert "learning" in raised.value.errors
    db.session.refresh(action)
    assert action.outcome == "Vi gjorde det." and action.learning is None


def test_follow_up_only_in_the_follow_up_phase(world, make, cycle, scope):
    action = fresh(make.action(world.tenant, cycle, world.anna))
    with pytest.raises(Conflict) as raised:
        services.record_follow_up(world.bo, action, outcome="For tidligt", learning=None)
    assert FORM in raised.value.errors


def test_delete_only_while_agreeing(world, make, cycle, scope):
    action = fresh(make.action(world.tenant, cycle, world.anna))
    services.delete_action(world.leader, action)
    assert count_actions() == 0
    later = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.FOLLOW_UP)
    kept = fresh(make.action(world.tenant, later, world.anna))
    with pytest.raises(Conflict):
        services.delete_action(world.leader, kept)
    assert count_actions() == 1


def test_overdue_means_open_and_past_its_due_date(world, make, cycle, scope):
    today = copenhagen_today()
    late = fresh(make.action(world.tenant, cycle, world.anna, due_on=today - timedelta(days=1)))
    done = make.action(
        world.tenant, cycle, world.anna, due_on=today - timedelta(days=1), status=ActionStatus.DONE
    )
    due_today = fresh(make.action(world.tenant, cycle, world.anna, due_on=today))
    assert services.is_overdue(late, today)
    assert not services.is_overdue(done, today)
    assert not services.is_overdue(due_today, today)
