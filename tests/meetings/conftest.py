"""Solby (tests/world.py) with a cycle in its meeting phase: Anna named, Bo anonymous."""

from __future__ import annotations

import pytest

from tests.world import World, build_world
from web.cycles.models import Phase, Visibility
from web.cycles.services import contributions
from web.cycles.services import cycles as cycle_service
from web.cycles.services.contributions import AnswerInput
from web.extensions import db
from web.tenancy import tenant_scope


# Built once per module (module_db); each test runs in a savepoint of it. (A module whose
# tests commit builds its own per test.)
@pytest.fixture(scope="module")
def world(module_make) -> World:
    return build_world(module_make)


@pytest.fixture
def prepared(world, make, app):
    """The cycle's id after Anna (named) and Bo (anonymous) answered and the meeting began."""
    w = world
    cycle = make.started_cycle(w.tenant, w.team, w.leader)
    with app.test_request_context(), tenant_scope(w.tenant.id):
        cycle = db.session.merge(cycle)
        first = cycle.prompts[0].id
        contributions.save_answers(
            w.anna, cycle, [AnswerInput(first, "Når vi planlægger selv", Visibility.NAMED)]
        )
        contributions.save_answers(
            w.bo, cycle, [AnswerInput(first, "Når ingen ser det", Visibility.ANONYMOUS)]
        )
        cycle_service.move_phase(w.leader, cycle, Phase.MEETING)
        db.session.commit()
        return cycle.id


@pytest.fixture
def scoped(world, ctx):
    with tenant_scope(world.tenant.id):
        yield world
