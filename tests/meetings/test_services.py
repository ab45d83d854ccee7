"""The live meeting's rules: cards, grouping, anonymous votes, conclusions, actions, the end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from web.cycles.models import Action, Conclusion, Cycle, Phase
from web.errors import Conflict, InputError
from web.extensions import db
from web.meetings import services as live
from web.meetings.models import LiveAttendee, LiveCard
from web.models import today as local_today


@pytest.fixture
def cycle(scoped, prepared):
    return db.session.get(Cycle, prepared)


def test_starting_brings_the_shared_answers_without_the_anonymous_name(scoped, cycle):
    meeting = live.start_meeting(scoped.leader, cycle)
    cards = live.board(meeting).cards
    assert sorted((c.text, c.author_name) for c in cards) == [
        ("Når ingen ser det", None),
        ("Når vi planlægger selv", "Anna Andersen"),
    ]
    assert live.start_meeting(scoped.leader, cycle).id == meeting.id  # twice is once


def test_a_meeting_starts_only_in_the_meeting_phase(scoped, make):
    other = make.started_cycle(scoped.tenant, scoped.team, scoped.leader)
    with pytest.raises(Conflict):
        live.start_meeting(scoped.leader, db.session.merge(other))


def test_every_change_moves_the_version(scoped, cycle):
    meeting = live.start_meeting(scoped.leader, cycle)
    before = live.current_version(meeting.id)
    live.add_card(
        scoped.carl,
        meeting,
        cycle,
        prompt_id=cycle.prompts[0].id,
        text="Ny tanke",
        visibility="anonymous",
    )
    assert live.current_version(meeting.id) == before + 1


def test_bad_thoughts_are_refused_and_change_nothing(scoped, cycle):
    meeting = live.start_meeting(scoped.leader, cycle)
    before = live.current_version(meeting.id)
    with pytest.raises(InputError) as exc:
        live.add_card(
            scoped.carl, meeting, cycle, prompt_id=cycle.prompts[0].id, text="  ", visibility="loud"
        )
    assert set(exc.value.errors) == {"text", "visibility"}
    assert live.current_version(meeting.id) == before


def test_grouping_and_anonymous_votes_keep_only_totals(scoped, cycle):
    w = scoped
    meeting = live.start_meeting(w.leader, cycle)
    a, b = live.board(meeting).cards
    live.merge(w.leader, meeting, b.id, a.id)
    assert [c.id for c in live.board(meeting).cards] == [a.id]
    with pytest.raises(Conflict):
        live.vote(w.anna, meeting, a.id)  # not open yet
    live.open_voting(w.leader, meeting, 2)
    assert live.vote(w.anna, meeting, a.id) == 1
    assert live.vote(w.anna, meeting, b.id) == 0  # a vote on a grouped card counts for the group
    with pytest.raises(Conflict):
        live.vote(w.anna, meeting, a.id)
    live.vote(w.bo, meeting, a.id)
    db.session.refresh(a)
    assert a.votes == 3
    live.close_voting(w.leader, meeting)
    with pytest.raises(Conflict):
        live.vote(w.carl, meeting, a.id)
    assert live.board(meeting).top == [a]


def test_the_end_writes_conclusions_and_actions_and_keeps_only_the_count(scoped, cycle):
    w = scoped
    meeting = live.start_meeting(w.leader, cycle)
    for person in (w.anna, w.bo, w.carl):
        live.join(person, meeting)
    card = live.board(meeting).cards[0]
    live.record_conclusion(w.leader, meeting, cycle, cycle.prompts[0].id, "Vi planlægger selv.")
    action = live.action_from_card(w.leader, meeting, card.id)
    due = (local_today() + timedelta(days=14)).isoformat()
    with pytest.raises(InputError):
        live.edit_action(
            w.leader,
            meeting,
            cycle,
            action.id,
            text="Prøv det",
            owner_id="",
            due_on=due,
            expectation="",
            kkc="",
        )
    live.edit_action(
        w.leader,
        meeting,
        cycle,
        action.id,
        text="Prøv det",
        owner_id=w.anna.id,
        due_on=due,
        expectation="responsibility",
        kkc="commitment",
    )
    with pytest.raises(InputError):
        live.end_meeting(w.leader, meeting, cycle, confirmed=False)
    assert cycle.phase == Phase.MEETING
    ended = live.end_meeting(w.leader, meeting, cycle, confirmed=True)
    assert ended == live.Ended(participants=3, actions=1)
    assert cycle.phase == Phase.AGREEMENTS
    assert db.session.scalars(
        select(Conclusion.text).where(Conclusion.cycle_id == cycle.id)
    ).all() == ["Vi planlægger selv."]
    saved = db.session.scalars(select(Action).where(Action.cycle_id == cycle.id)).one()
    assert (saved.text, saved.owner_id, saved.kkc.value) == ("Prøv det", w.anna.id, "commitment")
    assert meeting.participant_count == 3
    assert db.session.scalar(select(func.count()).select_from(LiveAttendee)) == 0
    with pytest.raises(Conflict):
        live.add_card(
            w.anna, meeting, cycle, prompt_id=cycle.prompts[0].id, text="Sent", visibility="named"
        )
    assert (
        db.session.scalar(
            select(func.count()).select_from(LiveCard).where(LiveCard.author_name.is_(None))
        )
        == 1
    )
