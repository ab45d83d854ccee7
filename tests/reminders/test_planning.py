"""Planning: due reminders become outbox rows, once per key, whoever plans how often."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from tests.reminders.teams import MEETING, NOW, TODAY, make_team, outbox
from web.cycles.models import ActionStatus, Phase
from web.extensions import db
from web.reminders import services
from web.reminders.models import OutboxStatus, ReminderKind, ReminderMeeting
from web.reminders.unsubscribe import Unsubscription, unsubscribe
from web.tenancy import tenant_scope


def plan(app, tenant_id, now=NOW):
    with app.app_context(), tenant_scope(tenant_id):
        planned = services.plan(tenant_id, now)
        db.session.commit()
    return planned


def kinds(rows):
    return Counter(r.kind for r in rows)


def test_an_open_preparation_is_announced_to_every_member_once(app, make, team):
    plan(app, team.tenant.id)
    plan(app, team.tenant.id)
    with app.app_context():
        rows = outbox(team.tenant.id)
    assert kinds(rows) == {ReminderKind.PREPARATION_OPENED: 3, ReminderKind.WEEKLY_DIGEST: 1}
    opened = [r for r in rows if r.kind == ReminderKind.PREPARATION_OPENED]
    assert {r.recipient_id for r in opened} == {u.id for u in team.members}
    assert {(r.target_id, r.cycle_id, r.due_key) for r in opened} == {
        (team.cycle.id, team.cycle.id, team.cycle.preparation_starts_on.isoformat())
    }
    assert all(r.status == OutboxStatus.PENDING and r.next_attempt_at == NOW for r in opened)


def test_planning_outside_working_hours_waits_for_the_window(app, make, team):
    saturday = NOW + timedelta(days=5)
    plan(app, team.tenant.id, saturday)
    with app.app_context():
        rows = outbox(team.tenant.id)
    monday_8 = NOW + timedelta(days=7) - timedelta(hours=2)
    assert rows and all(r.next_attempt_at == monday_8 for r in rows)


def test_closing_soon_only_for_members_who_have_not_contributed(app, make):
    team = make_team(make, preparation_ends_on=TODAY + timedelta(days=2))
    make.participation(team.tenant, team.cycle, team.dane)
    plan(app, team.tenant.id)
    with app.app_context():
        closing = [r for r in outbox(team.tenant.id) if r.kind == ReminderKind.PREPARATION_CLOSING]
    assert {r.recipient_id for r in closing} == {team.leader.id, team.brit.id}
    assert {r.due_key for r in closing} == {"2026-12-09"}


def test_subunits_members_are_included_when_the_cycle_says_so(app, make):
    tenant = make.tenant()
    department = make.unit(tenant, "Afdeling")
    team_a = make.unit(tenant, "Team A", parent=department)
    deep = make.unit(tenant, "Team A1", parent=team_a)
    people = [make.user(tenant, unit=u) for u in (department, team_a, deep, team_a)]
    outsider = make.user(tenant, unit=make.unit(tenant, "Andet"))
    make.cycle(
        tenant,
        department,
        include_subunits=True,
        preparation_starts_on=TODAY,
        preparation_ends_on=TODAY + timedelta(days=9),
    )
    make.cycle(
        tenant, team_a, preparation_starts_on=TODAY, preparation_ends_on=TODAY + timedelta(days=9)
    )
    plan(app, tenant.id)
    with app.app_context():
        rows = [r for r in outbox(tenant.id) if r.kind == ReminderKind.PREPARATION_OPENED]
    recipients = Counter(r.recipient_id for r in rows)
    assert outsider.id not in recipients
    # department cycle: all four people; team A cycle: the two in team A
    assert recipients[people[0].id] == 1 and recipients[people[2].id] == 1
    assert recipients[people[1].id] == 2 and recipients[people[3].id] == 2


def test_people_without_email_or_inactive_get_nothing(app, make, team):
    with make.scope(team.tenant):
        dane = db.session.merge(team.dane)
        dane.email = None
        brit = db.session.merge(team.brit)
        brit.is_active = False
    plan(app, team.tenant.id)
    with app.app_context():
        rows = outbox(team.tenant.id)
    assert {r.recipient_id for r in rows} == {team.leader.id}


def test_unsubscribed_people_get_no_optional_kind_but_still_essential_ones(app, make):
    team = make_team(make, meeting_at=MEETING, meeting_place="Mødelokale 2")
    with make.scope(team.tenant):
        unsubscribe(Unsubscription(team.tenant.id, team.brit.id, ReminderKind.PREPARATION_OPENED))
    plan(app, team.tenant.id)
    with app.app_context():
        mine = kinds(r for r in outbox(team.tenant.id) if r.recipient_id == team.brit.id)
    assert mine == {ReminderKind.MEETING_INVITATION: 1}


def test_actions_remind_their_owner_before_and_after_the_due_date(app, make, team):
    soon = make.action(team.tenant, team.cycle, team.dane, due_on=TODAY + timedelta(days=2))
    late = make.action(team.tenant, team.cycle, team.brit, due_on=TODAY - timedelta(days=1))
    make.action(
        team.tenant,
        team.cycle,
        team.brit,
        due_on=TODAY - timedelta(days=1),
        status=ActionStatus.DONE,
    )
    make.action(team.tenant, team.cycle, team.brit, due_on=TODAY - timedelta(days=40))
    make.action(team.tenant, team.cycle, team.brit, due_on=TODAY + timedelta(days=20))
    make.action(team.tenant, team.cycle, None, due_on=TODAY)
    plan(app, team.tenant.id)
    with app.app_context():
        rows = [r for r in outbox(team.tenant.id) if r.action_id]
    assert {(r.kind, r.recipient_id, r.action_id, r.due_key) for r in rows} == {
        (ReminderKind.ACTION_DUE_SOON, team.dane.id, soon.id, "2026-12-09"),
        (ReminderKind.ACTION_OVERDUE, team.brit.id, late.id, "2026-12-06"),
    }
    assert all(r.cycle_id == team.cycle.id for r in rows)


def test_follow_up_is_announced_a_week_ahead_once_the_meeting_has_been(app, make):
    team = make_team(make, phase=Phase.AGREEMENTS, follow_up_on=TODAY + timedelta(days=7))
    plan(app, team.tenant.id)
    with app.app_context():
        rows = outbox(team.tenant.id)
    assert kinds(rows)[ReminderKind.FOLLOW_UP_COMING] == 3
    assert ReminderKind.PREPARATION_OPENED not in kinds(rows)


def test_a_moved_meeting_bumps_the_sequence_once_and_plans_updates(app, make):
    team = make_team(make, meeting_at=MEETING, meeting_place="Mødelokale 2")
    plan(app, team.tenant.id)
    with make.scope(team.tenant):
        cycle = db.session.merge(team.cycle)
        cycle.meeting_at = MEETING + timedelta(days=1)
    plan(app, team.tenant.id)
    plan(app, team.tenant.id)
    with app.app_context(), tenant_scope(team.tenant.id):
        meeting = db.session.get(ReminderMeeting, team.cycle.id)
        assert (meeting.sequence, meeting.meeting_place) == (1, "Mødelokale 2")
        rows = outbox(team.tenant.id)
    meetings = [(r.kind, r.due_key) for r in rows if r.kind.startswith("meeting")]
    assert Counter(meetings) == {
        (ReminderKind.MEETING_INVITATION, "0"): 3,
        (ReminderKind.MEETING_UPDATED, "1"): 3,
    }


def test_a_member_who_joins_after_the_move_gets_an_invitation(app, make):
    team = make_team(make, meeting_at=MEETING)
    plan(app, team.tenant.id)
    with make.scope(team.tenant):
        db.session.merge(team.cycle).meeting_place = "Kantinen"
    newcomer = make.user(team.tenant, unit=team.unit)
    plan(app, team.tenant.id)
    with app.app_context():
        rows = [r for r in outbox(team.tenant.id) if r.recipient_id == newcomer.id]
    assert [(r.kind, r.due_key) for r in rows if r.kind.startswith("meeting")] == [
        (ReminderKind.MEETING_INVITATION, "1")
    ]


def test_past_meetings_and_closed_cycles_are_not_announced(app, make):
    past = make_team(make, meeting_at=NOW - timedelta(hours=1))
    closed = make_team(make, meeting_at=MEETING, phase=Phase.CLOSED)
    for team in (past, closed):
        plan(app, team.tenant.id)
        with app.app_context():
            assert not [r for r in outbox(team.tenant.id) if r.kind.startswith("meeting")]


def test_the_weekly_digest_goes_to_leaders_once_per_week(app, make, team):
    plan(app, team.tenant.id)
    plan(app, team.tenant.id, NOW + timedelta(days=2))
    plan(app, team.tenant.id, NOW + timedelta(days=7))
    with app.app_context():
        digests = [r for r in outbox(team.tenant.id) if r.kind == ReminderKind.WEEKLY_DIGEST]
    assert [(r.recipient_id, r.due_key) for r in digests] == [
        (team.leader.id, "2026-W50"),
        (team.leader.id, "2026-W51"),
    ]


def test_another_tenants_cycles_are_not_planned(app, make, team):
    other = make_team(make)
    plan(app, team.tenant.id)
    with app.app_context():
        assert outbox(other.tenant.id) == []


def test_two_planners_at_once_make_one_row_per_key(app, committed_make):
    """Two processes (here: two threads, two connections) plan the same tenant concurrently."""
    team = make_team(committed_make, meeting_at=MEETING)
    for n in range(20):
        committed_make.user(team.tenant, f"Person {n}", unit=team.unit)
    barrier = threading.Barrier(2)
    errors = []

    def planner():
        try:
            with app.app_context(), tenant_scope(team.tenant.id):
                barrier.wait(timeout=10)
                services.plan(team.tenant.id, NOW)
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=planner) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with app.app_context():
        rows = outbox(team.tenant.id)
        keys = Counter((r.recipient_id, r.kind, r.target_id, r.due_key) for r in rows)
        assert set(keys.values()) == {1}
        assert kinds(rows) == {
            ReminderKind.PREPARATION_OPENED: 23,
            ReminderKind.MEETING_INVITATION: 23,
            ReminderKind.WEEKLY_DIGEST: 1,
        }
        with tenant_scope(team.tenant.id):
            assert db.session.get(ReminderMeeting, team.cycle.id).sequence == 0
        db.session.remove()


def test_rows_of_one_cycle_are_planned_together(app, make):
    # Delivery claims chunks in id order, and a chunk renders each distinct text once: the
    # members of a team should be neighbours, whatever order the database found them in.
    first = make_team(make)
    for n in range(3):
        make.user(first.tenant, f"Nyt medlem {n}", unit=first.unit)
    other_unit = make.unit(first.tenant, "Team Syd")
    for n in range(4):
        make.user(first.tenant, f"Syd {n}", unit=other_unit)
    make.cycle(
        first.tenant,
        other_unit,
        preparation_starts_on=first.cycle.preparation_starts_on,
        preparation_ends_on=first.cycle.preparation_ends_on,
    )
    plan(app, first.tenant.id)
    with app.app_context():
        opened = sorted(
            (r for r in outbox(first.tenant.id) if r.kind == ReminderKind.PREPARATION_OPENED),
            key=lambda r: r.id,
        )
    assert len(opened) == 6 + 4
    assert [(r.target_id, r.recipient_id) for r in opened] == sorted(
        (r.target_id, r.recipient_id) for r in opened
    )
