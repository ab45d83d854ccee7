"""The participation counters (web.cycles.tally) agree with who was asked and who took part,
whatever happens to the team during the cycle.

Generated histories (hypothesis) of people joining and leaving the team, answering and
withdrawing every answer, through the services, are checked against a model kept here in
Python, and against the leader dashboard and the cycle page's figures. The model is the rule in
the README: the members are who was in the team when preparation opened, plus whoever joined
later and answered; the contributors are the members with an answer (leavers stay counted).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from web.cycles.models import Cycle, Phase, Visibility
from web.cycles.services import cycles as cycle_service
from web.cycles.services.contributions import AnswerInput, save_answers
from web.dashboards.queries import leader_dashboard
from web.extensions import db
from web.orgs.models import Membership, MembershipRole
from web.users.models import User

PEOPLE = 4
OPS = st.lists(
    st.tuples(st.sampled_from(["answer", "withdraw", "join", "leave"]), st.integers(0, PEOPLE - 1)),
    max_size=14,
)


def stored_counts(cycle_id: int) -> tuple[int, int]:
    return tuple(
        db.session.execute(
            select(Cycle.member_count, Cycle.contributor_count).where(Cycle.id == cycle_id)
        ).one()
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    initial=st.lists(st.booleans(), min_size=PEOPLE, max_size=PEOPLE),
    ops=OPS,
    step_back=st.booleans(),
)
def test_counters_follow_who_was_asked_and_who_took_part(
    world, make, scope, initial, ops, step_back
):
    team = make.unit(world.tenant, parent=world.area)
    leader = make.user(world.tenant, leader_of=team)
    people = [make.user(world.tenant, unit=team if member else None) for member in initial]
    cycle = make.started_cycle(world.tenant, team, leader)
    if step_back:  # a step back into preparation keeps the member set fixed at the start
        with scope(world.tenant):
            cycle = db.session.get(Cycle, cycle.id)
            cycle_service.move_phase(leader, cycle, Phase.MEETING)
            cycle_service.move_phase(leader, cycle, Phase.PREPARATION, "Flere svar")
            db.session.commit()
    # Who is in the team now, who was asked (the model's member set), who has an answer.
    in_team = {p.id for p, member in zip(people, initial, strict=True) if member}
    asked = {leader.id} | in_team
    answered: set[int] = set()
    has_text: set[int] = set()  # who has an answer to withdraw

    for op, i in ops:
        person = people[i]
        with scope(world.tenant):
            cycle = db.session.get(Cycle, cycle.id)
            user = db.session.get(User, person.id)
            prompt = cycle.prompts[0].id
            if op == "answer" and person.id in in_team:  # the view lets only members answer
                save_answers(user, cycle, [AnswerInput(prompt, f"Svar {i}", Visibility.NAMED)])
                answered.add(person.id)
                has_text.add(person.id)
                asked.add(person.id)
            elif op == "withdraw" and person.id in in_team and person.id in has_text:
                save_answers(user, cycle, [AnswerInput(prompt, "", None)])
                has_text.discard(person.id)
                if not step_back:  # after a meeting, sealed answers may be theirs: still counted
                    answered.discard(person.id)
            elif op == "join" and person.id not in in_team:
                db.session.add(
                    Membership(user_id=person.id, unit_id=team.id, role=MembershipRole.EMPLOYEE)
                )
                in_team.add(person.id)
            elif op == "leave" and person.id in in_team:
                db.session.execute(
                    delete(Membership).where(
                        Membership.user_id == person.id, Membership.unit_id == team.id
                    )
                )
                in_team.discard(person.id)
            db.session.commit()

    with scope(world.tenant):
        assert stored_counts(cycle.id) == (len(asked), len(answered))
        cycle = db.session.get(Cycle, cycle.id)
        db.session.refresh(cycle)
        assert (cycle_service.member_count(cycle), cycle_service.participation_count(cycle)) == (
            len(asked),
            len(answered),
        )
        shown = {
            row.cycle.id: (row.members, row.contributors)
            for row in leader_dashboard(db.session.get(User, leader.id)).cycles
        }
        assert shown[cycle.id] == (len(asked), len(answered))


def test_a_campaign_fixes_each_teams_members(world, make, scope):
    """Cycles started by a campaign count their teams' members like a leader's own cycle."""
    from datetime import date

    from web.cycles.services import campaigns
    from web.cycles.services.common import CycleDates
    from web.cycles.services.templates import ensure_default_template

    other = make.user(world.tenant, "Ny i Tandplejen", unit=world.other_team)
    with scope(world.tenant):
        hr = db.session.get(User, world.hr.id)
        result = campaigns.start_campaign(
            hr,
            "Forår",
            ensure_default_template(),
            [world.team.id, world.other_team.id],
            CycleDates(date(2027, 3, 1), date(2027, 3, 14)),
        )
        db.session.commit()
        counts = {c.unit_id: stored_counts(c.id) for c in result.cycles}
        shown = {c.unit_id: (c.member_count, c.contributor_count) for c in result.cycles}
    # Hjemmeplejen: Lene, Anna, Bo, Carl; Tandplejen: Ole, Dina and the newcomer.
    assert counts == shown == {world.team.id: (4, 0), world.other_team.id: (3, 0)}
    assert other.id
