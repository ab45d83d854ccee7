"""Irreversible steps are confirmed, with what they do spelled out (issue 19, point 2):
starting the meeting seals the answers; before the planned end of preparation the page asks to
shorten preparation first."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.cycles.test_pages import count, described_error, html
from web.cycles.models import Cycle, Phase, PhaseChange
from web.cycles.services.actions import today as local_today
from web.extensions import db
from web.tenancy import tenant_scope


def post(client, world, cycle, **data):
    return client.post(
        f"/t/{world.tenant.slug}/cycles/{cycle.id}/phase",
        data={"to_phase": "meeting", "from_phase": "preparation", **data},
    )


def app_today(app) -> date:
    with app.app_context():
        return local_today()


def state(app, world, cycle) -> tuple[Phase, date, date]:
    with app.app_context(), tenant_scope(world.tenant.id):
        row = db.session.execute(
            select(Cycle.phase, Cycle.preparation_starts_on, Cycle.preparation_ends_on).where(
                Cycle.id == cycle.id
            )
        ).one()
    return row.phase, row.preparation_starts_on, row.preparation_ends_on


@pytest.fixture
def running(world, make):
    """A cycle whose preparation runs from a week ago until a week from now."""
    today = local_today()
    return make.started_cycle(
        world.tenant,
        world.team,
        world.leader,
        preparation_starts_on=today - timedelta(days=7),
        preparation_ends_on=today + timedelta(days=7),
    )


@pytest.fixture
def ended(world, make):
    """A cycle whose preparation ended yesterday."""
    today = local_today()
    return make.started_cycle(
        world.tenant,
        world.team,
        world.leader,
        preparation_starts_on=today - timedelta(days=14),
        preparation_ends_on=today - timedelta(days=1),
    )


def test_starting_the_meeting_first_says_what_it_does_and_changes_nothing(
    client, login, world, app, ended
):
    login(world.leader)
    before = state(app, world, ended)
    reply = post(client, world, ended)
    assert reply.status_code == 200
    page = html(reply)
    assert "Start dialogmødet?" in page and "Det kan ikke gøres om" in page
    assert "Anonyme svar kobles for altid fra den, der skrev dem." in page
    assert 'name="confirmed" value="1"' in page
    assert "shorten_preparation" not in page  # preparation is over: nothing to shorten
    assert state(app, world, ended) == before
    assert count(app, world, PhaseChange, PhaseChange.cycle_id == ended.id) == 0

    reply = post(client, world, ended, confirmed="1")
    assert reply.status_code == 302
    assert state(app, world, ended) == (Phase.MEETING, *before[1:])


def test_a_meeting_before_the_end_of_preparation_asks_to_shorten_it_first(
    client, login, world, app, running
):
    login(world.leader)
    before = state(app, world, running)
    page = html(post(client, world, running))
    assert "Forberedelsen er ikke slut" in page
    assert "Forkort forberedelsen, så den slutter i dag" in page

    reply = post(client, world, running, confirmed="1")  # confirmed, but not shortened
    assert reply.status_code == 422
    described_error(html(reply), "shorten_preparation", "Forkort forberedelsen til i dag")
    assert state(app, world, running) == before

    reply = post(client, world, running, confirmed="1", shorten_preparation="1")
    assert reply.status_code == 302
    assert state(app, world, running) == (Phase.MEETING, before[1], app_today(app))
    assert count(app, world, PhaseChange, PhaseChange.cycle_id == running.id) == 1


def test_a_preparation_not_yet_begun_is_shortened_to_one_day(client, login, world, app, make):
    cycle = make.started_cycle(
        world.tenant, world.team, world.leader, starts_on=local_today() + timedelta(days=30)
    )
    login(world.leader)
    post(client, world, cycle, confirmed="1", shorten_preparation="1")
    today = app_today(app)
    assert state(app, world, cycle) == (Phase.MEETING, today, today)


def test_the_confirmation_in_english(client, login, world, running):
    login(world.leader)
    client.post("/lang/en", data={"next": "/"})
    page = html(post(client, world, running))
    assert "Start the dialogue meeting?" in page
    assert "This cannot be undone" in page


def test_other_moves_need_no_confirmation(client, login, world, app, make):
    cycle = make.started_cycle(world.tenant, world.team, world.leader, phase=Phase.MEETING)
    login(world.leader)
    reply = client.post(
        f"/t/{world.tenant.slug}/cycles/{cycle.id}/phase",
        data={"to_phase": "agreements", "from_phase": "meeting"},
    )
    assert reply.status_code == 302
    assert state(app, world, cycle)[0] == Phase.AGREEMENTS
