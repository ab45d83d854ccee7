"""The contribution submit (benchmarked in bench/web.py) sends the same number of SQL statements
however large the municipality; the overview pages have theirs in tests/dashboards."""

from __future__ import annotations

from tests.querycount import queries_for
from web.cycles.models import Visibility
from web.cycles.services.contributions import AnswerInput, save_answers
from web.orgs.models import UnitKind

# The user with roles and memberships (one statement), row-level security's tenant (one per
# transaction), the cycle with its prompts (one), the lock on the person's row (a double submit
# waits instead of failing), their answers, the participation on a first save, the writes, and
# on a first save the cycle's counters (web.cycles.tally: the member set for someone who joined
# after preparation opened, and one UPDATE of the counters), and the person's remembered
# visibility (one UPDATE of the user's row when the choice changed).
MAX_STATEMENTS = 12


def populate(world, make, cycle, size: int) -> None:
    """``size`` more people in the team who answered every prompt, and ``size`` more teams with
    a running cycle of their own and answers in it."""
    area = make.unit(world.tenant, f"Område {size}", kind=UnitKind.AREA, parent=world.org)
    for n in range(size):
        person = make.user(world.tenant, unit=world.team)
        team = make.unit(world.tenant, f"Team {size}-{n}", parent=area)
        leader = make.user(world.tenant, leader_of=team)
        member = make.user(world.tenant, unit=team)
        theirs = make.started_cycle(world.tenant, team, leader)
        with make.scope(world.tenant):
            for who, which in ((person, cycle), (member, theirs)):
                save_answers(
                    who,
                    which,
                    [AnswerInput(p.id, f"Svar {n}", Visibility.NAMED) for p in which.prompts],
                )


def form(cycle, text: str) -> dict[str, str]:
    data = {}
    for i, prompt in enumerate(cycle.prompts):
        data[f"answer-{prompt.id}"] = f"{text} {i}"
        data[f"visibility-{prompt.id}"] = list(Visibility)[i % 3].value
    return data


def batches(log) -> int:
    """Statements, a run of one INSERT repeated counted once: SQLite gets the ORM's batch of
    new answers row by row (no deterministic multi-row RETURNING there), PostgreSQL as one."""
    statements = log.statements
    return sum(
        1
        for i, s in enumerate(statements)
        if not (i and s.startswith("INSERT") and s == statements[i - 1])
    )


def submit_twice(client, url: str, cycle) -> tuple[int, int]:
    """(statements of a first save, statements of an edit), both answered with a redirect."""
    created, created_log = queries_for(client, "post", url, data=form(cycle, "Første"))
    edited, edited_log = queries_for(client, "post", url, data=form(cycle, "Rettet"))
    assert created.status_code == edited.status_code == 302
    return batches(created_log), batches(edited_log)


def test_the_contribution_submit_does_not_grow_with_the_data(world, make, login):
    cycle = make.started_cycle(world.tenant, world.team, world.leader)
    url = world.url(f"/cycles/{cycle.id}/prepare")
    populate(world, make, cycle, 1)
    small = submit_twice(login(world.bo), url, cycle)
    small_form, small_form_log = queries_for(login(world.bo), "get", url)

    populate(world, make, cycle, 8)
    large = submit_twice(login(world.carl), url, cycle)
    large_form, large_form_log = queries_for(login(world.carl), "get", url)

    assert large == small, f"submit: {small} statements with little data, {large} with more"
    assert max(large) <= MAX_STATEMENTS
    assert small_form.status_code == large_form.status_code == 200
    assert large_form_log.count == small_form_log.count, str(large_form_log)
    assert large_form_log.count <= MAX_STATEMENTS, str(large_form_log)


def test_a_leaders_pages_do_not_walk_the_organisation_for_the_menu(world, make, login):
    """The menu asks "does this person lead a unit?" on every page: their memberships answer
    it, without the units below (only the leader dashboard itself needs those)."""
    make.started_cycle(world.tenant, world.team, world.leader)
    response, log = queries_for(login(world.leader), "get", world.url("/"))
    assert response.status_code == 200
    assert 'href="/t/' in response.get_data(as_text=True)
    assert not any("RECURSIVE tree" in s for s in log.statements), str(log)
    page = response.get_data(as_text=True)
    assert world.url("/units") in page  # the menu still offers the leader dashboard
