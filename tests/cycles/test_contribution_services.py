"""Answers during preparation, sealing anonymous ones at the meeting, and the conclusions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from web.cycles.models import Conclusion, Contribution, Participation, Phase, Visibility
from web.cycles.services import contributions, meeting
from web.cycles.services import cycles as cycle_service
from web.cycles.services.contributions import AnswerInput
from web.errors import Conflict, InputError
from web.extensions import db


@pytest.fixture
def cycle(scoped, make):
    return make.started_cycle(scoped.tenant, scoped.team, scoped.leader)


def answer(cycle, n: int, text: str, visibility: Visibility | None = Visibility.NAMED):
    return AnswerInput(cycle.prompts[n].id, text, visibility)


def rows(cycle):
    return db.session.execute(
        select(
            Contribution.prompt_id,
            Contribution.author_id,
            Contribution.visibility,
            Contribution.text,
        )
        .where(Contribution.cycle_id == cycle.id)
        .order_by(Contribution.prompt_id, Contribution.text)
    ).all()


def participants(cycle) -> set[int]:
    return set(
        db.session.scalars(select(Participation.user_id).where(Participation.cycle_id == cycle.id))
    )


def test_saving_answers_records_participation_once(scoped, cycle):
    w = scoped
    contributions.save_answers(w.anna, cycle, [answer(cycle, 0, " Når vi planlægger selv. ")])
    contributions.save_answers(
        w.anna,
        cycle,
        [
            answer(cycle, 0, "Ændret", Visibility.PRIVATE),
            answer(cycle, 1, "Når nogen er syge", Visibility.ANONYMOUS),
        ],
    )
    assert rows(cycle) == [
        (cycle.prompts[0].id, w.anna.id, Visibility.PRIVATE, "Ændret"),
        (cycle.prompts[1].id, w.anna.id, Visibility.ANONYMOUS, "Når nogen er syge"),
    ]
    assert participants(cycle) == {w.anna.id}


def test_withdrawing_every_answer_before_the_meeting_removes_participation(scoped, cycle):
    w = scoped
    contributions.save_answers(w.bo, cycle, [answer(cycle, 0, "Noget")])
    contributions.save_answers(w.bo, cycle, [answer(cycle, 0, "")])
    assert rows(cycle) == [] and participants(cycle) == set()


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (lambda c: [answer(c, 0, "x" * 4001)], "answer-{0}"),
        (lambda c: [answer(c, 0, "Tekst", None)], "visibility-{0}"),
        (lambda c: [AnswerInput(999_999, "Tekst", Visibility.NAMED)], "_form"),
    ],
)
def test_bad_answers_write_nothing(scoped, cycle, given, field):
    w = scoped
    with pytest.raises(InputError) as exc:
        contributions.save_answers(w.anna, cycle, [answer(cycle, 1, "Gyldigt svar"), *given(cycle)])
    assert field.format(cycle.prompts[0].id) in exc.value.errors
    assert rows(cycle) == [] and participants(cycle) == set()


def test_saving_only_empty_answers_is_refused(scoped, cycle):
    with pytest.raises(InputError) as exc:
        contributions.save_answers(
            scoped.anna, cycle, [answer(cycle, 0, "  "), answer(cycle, 1, "", None)]
        )
    assert "_form" in exc.value.errors
    assert participants(cycle) == set()


def test_a_prompt_of_another_cycle_is_refused(scoped, cycle, make):
    w = scoped
    other = make.started_cycle(w.tenant, w.other_team, w.other_leader)
    with pytest.raises(InputError):
        contributions.save_answers(
            w.anna, cycle, [AnswerInput(other.prompts[0].id, "Hej", Visibility.NAMED)]
        )
    assert rows(cycle) == []


def test_meeting_seals_anonymous_answers(scoped, cycle):
    w = scoped
    contributions.save_answers(
        w.anna,
        cycle,
        [answer(cycle, 0, "Anonymt A", Visibility.ANONYMOUS), answer(cycle, 1, "Navngivet A")],
    )
    contributions.save_answers(
        w.bo,
        cycle,
        [
            answer(cycle, 0, "Anonymt B", Visibility.ANONYMOUS),
            answer(cycle, 2, "Privat B", Visibility.PRIVATE),
        ],
    )
    cycle_service.move_phase(w.leader, cycle, Phase.MEETING)
    anonymous = db.session.scalars(
        select(Contribution).where(
            Contribution.cycle_id == cycle.id, Contribution.visibility == Visibility.ANONYMOUS
        )
    ).all()
    assert sorted(a.text for a in anonymous) == ["Anonymt A", "Anonymt B"]
    assert {a.author_id for a in anonymous} == {None}
    assert len({(a.created_at, a.updated_at) for a in anonymous}) == 1  # one common stamp
    others = {r.text: r.author_id for r in rows(cycle) if r.visibility != Visibility.ANONYMOUS}
    assert others == {"Navngivet A": w.anna.id, "Privat B": w.bo.id}
    assert participants(cycle) == {w.anna.id, w.bo.id}
    assert set(contributions.my_answers(w.anna, cycle)) == {cycle.prompts[1].id}


def test_no_editing_once_the_meeting_has_started(scoped, cycle):
    w = scoped
    contributions.save_answers(w.anna, cycle, [answer(cycle, 0, "Før mødet")])
    cycle_service.move_phase(w.leader, cycle, Phase.MEETING)
    with pytest.raises(Conflict) as exc:
        contributions.save_answers(w.anna, cycle, [answer(cycle, 0, "Efter mødet")])
    assert "_form" in exc.value.errors
    assert [r.text for r in rows(cycle)] == ["Før mødet"]


def test_after_a_step_back_sealed_answers_stay_shared_and_participation_stays(scoped, cycle):
    w = scoped
    contributions.save_answers(w.carl, cycle, [answer(cycle, 0, "Hemmeligt", Visibility.ANONYMOUS)])
    cycle_service.move_phase(w.leader, cycle, Phase.MEETING)
    cycle_service.move_phase(w.leader, cycle, Phase.PREPARATION, "Flere skal nå at svare.")
    assert contributions.my_answers(w.carl, cycle) == {}
    assert contributions.has_sealed_answers(cycle)
    contributions.save_answers(w.carl, cycle, [answer(cycle, 1, "Nyt")])
    contributions.save_answers(w.carl, cycle, [answer(cycle, 1, "")])
    assert participants(cycle) == {w.carl.id}


def test_shared_answers_hide_private_ones_and_anonymous_names(scoped, cycle):
    w = scoped
    contributions.save_answers(w.anna, cycle, [answer(cycle, 0, "zz fra Anna")])
    contributions.save_answers(w.bo, cycle, [answer(cycle, 0, "aa anonymt", Visibility.ANONYMOUS)])
    contributions.save_answers(
        w.carl, cycle, [answer(cycle, 0, "Carls private", Visibility.PRIVATE)]
    )
    assert meeting.shared_answers(cycle) == {}  # nothing is shared before the meeting
    cycle_service.move_phase(w.leader, cycle, Phase.MEETING)
    shared = meeting.shared_answers(cycle)
    assert shared == {
        cycle.prompts[0].id: [
            meeting.SharedAnswer("zz fra Anna", "Anna Andersen"),
            meeting.SharedAnswer("aa anonymt", None),
        ]
    }


def test_conclusions_are_recorded_per_prompt(scoped, cycle):
    w = scoped
    with pytest.raises(Conflict):  # not before the meeting
        meeting.record_conclusions(w.leader, cycle, {cycle.prompts[0].id: "For tidligt"})
    cycle_service.move_phase(w.leader, cycle, Phase.MEETING)
    first, second = cycle.prompts[0].id, cycle.prompts[1].id
    meeting.record_conclusions(w.leader, cycle, {first: " Vi planlægger selv. ", second: ""})
    meeting.record_conclusions(
        w.leader,
        cycle,
        {first: "Vi planlægger selv om mandagen.", second: "Vi tager over ved sygdom."},
    )
    assert {k: v.text for k, v in meeting.conclusions(cycle).items()} == {
        first: "Vi planlægger selv om mandagen.",
        second: "Vi tager over ved sygdom.",
    }
    meeting.record_conclusions(w.leader, cycle, {second: ""})
    assert set(meeting.conclusions(cycle)) == {first}


def test_bad_conclusions_write_nothing(scoped, cycle):
    w = scoped
    cycle_service.move_phase(w.leader, cycle, Phase.MEETING)
    first, second = cycle.prompts[0].id, cycle.prompts[1].id
    with pytest.raises(InputError) as exc:
        meeting.record_conclusions(w.leader, cycle, {first: "Fin", second: "x" * 4001})
    assert f"conclusion-{second}" in exc.value.errors
    with pytest.raises(InputError):
        meeting.record_conclusions(w.leader, cycle, {first: "Fin", 999_999: "Fremmed"})
    assert db.session.scalar(select(func.count(Conclusion.id))) == 0
    for phase in (Phase.AGREEMENTS, Phase.FOLLOW_UP):
        cycle_service.move_phase(w.leader, cycle, phase)
    with pytest.raises(Conflict) as exc:
        meeting.record_conclusions(w.leader, cycle, {first: "For sent"})
    assert "_form" in exc.value.errors
