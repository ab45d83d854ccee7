"""Every list operation sends the same number of SQL statements however much there is to list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.querycount import queries_for
from web.cycles.models import Conclusion, Contribution, Phase, Visibility
from web.extensions import db
from web.models import today as local_today
from web.orgs.models import UnitKind

CEILING = 12  # a list, whatever its length, in at most this many statements


def grow(world, make, cycle, numbers: range) -> None:
    """More of everything: teams with cycles, earlier cycles of the world's team, members of
    that team with answers, actions and examples, conclusions, and Anna's own answers (one
    per prompt at most)."""
    prompts = [p.id for p in cycle.prompts]
    for n in numbers:
        team = make.unit(world.tenant, f"Team {n}", UnitKind.TEAM, parent=world.department)
        make.cycle(world.tenant, team, leader=make.user(world.tenant, leader_of=team))
        make.cycle(world.tenant, world.team, phase=Phase.CLOSED)
        member = make.user(world.tenant, unit=world.team)
        make.action(world.tenant, cycle, member, due_on=local_today() - timedelta(days=n))
        make.action(world.tenant, cycle, world.anna)
        make.example(world.tenant, world.team, member)
        named = n % 2 == 1
        with make.scope(world.tenant):
            prompt_id = prompts[n % len(prompts)]
            db.session.add(
                Contribution(
                    cycle_id=cycle.id,
                    prompt_id=prompt_id,
                    author_id=member.id if named else None,
                    visibility=Visibility.NAMED if named else Visibility.ANONYMOUS,
                    text=f"Svar {n}",
                )
            )
            if n < len(prompts):
                db.session.add(Conclusion(cycle_id=cycle.id, prompt_id=prompt_id, text=f"K {n}"))
                db.session.add(
                    Contribution(
                        cycle_id=cycle.id,
                        prompt_id=prompt_id,
                        author_id=world.anna.id,
                        visibility=Visibility.PRIVATE,
                        text=f"Mit {n}",
                    )
                )


LISTS = [
    ("hr", "/cycles"),
    ("anna", "/cycles"),
    ("department_leader", "/cycles"),
    ("anna", "/cycles/{id}"),
    ("anna", "/cycles/{id}/contributions"),
    ("anna", "/cycles/{id}/answers"),
    ("anna", "/cycles/{id}/conclusions"),
    ("anna", "/cycles/{id}/actions"),
    ("anna", "/actions/mine"),
    ("anna", "/examples"),
]


@pytest.mark.parametrize(("who", "path"), LISTS)
def test_lists_send_a_fixed_number_of_statements(api, make, world, who, path):
    cycle = make.started_cycle(world.tenant, world.team, world.leader, phase=Phase.AGREEMENTS)
    caller = api(getattr(world, who))
    url = caller.prefix + path.format(id=cycle.id)

    grow(world, make, cycle, range(1))
    small, small_log = queries_for(caller.client, "GET", url)
    grow(world, make, cycle, range(1, 5))
    large, large_log = queries_for(caller.client, "GET", url)
    assert small.status_code == large.status_code == 200
    assert large.get_data() != small.get_data() or path == "/cycles/{id}"
    assert large_log.count == small_log.count, f"{small_log}\n---\n{large_log}"
    assert large_log.count <= CEILING, str(large_log)
