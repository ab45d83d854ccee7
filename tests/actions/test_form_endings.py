"""``web.forms``: how every HTML form's POST ends, tried on the follow-up form.

``invalid`` must leave the database as it was even when something was already written (a service
that broke the rule "refuse before writing", or a view that changed a row first), so the tests
put a change in the session before calling it. The pages' own tests (here, tests/examples and
tests/cycles) post real forms.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, get_flashed_messages

from web.cycles.models import Action, Phase
from web.cycles.services.actions import MAX_FOLLOW_UP
from web.extensions import db
from web.forms import form_page, invalid, saved
from web.tenancy import get_or_404, tenant_scope

FORM = "actions/follow_up.html"


@pytest.fixture
def action(world, make) -> Action:
    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.FOLLOW_UP)
    return make.action(world.tenant, cycle, world.anna)


@contextmanager
def on_page(app: Flask, world, action: Action) -> Iterator[Action]:
    """Inside a request to the action's follow-up page, its tenant resolved as for a real one."""
    with app.test_request_context(world.url(f"/actions/{action.id}/follow-up")):
        app.preprocess_request()
        yield get_or_404(Action, action.id)


def stored(app: Flask, world, action: Action) -> Action:
    """The action as the database has it, read in a fresh context."""
    with app.app_context(), tenant_scope(world.tenant.id):
        return db.session.get(Action, action.id, populate_existing=True)


def form_context(action: Action, **values: str) -> dict[str, object]:
    return {
        "action": action,
        "values": {"outcome": "", "learning": "", **values},
        "max_length": MAX_FOLLOW_UP,
    }


def test_invalid_shows_the_messages_answers_422_and_keeps_nothing(app, world, action):
    with on_page(app, world, action) as row:
        row.outcome = "Halvt gemt"
        db.session.flush()  # written before the refusal
        page, status = invalid(
            FORM, {"outcome": "Skal udfyldes."}, **form_context(row, learning="Korte møder virker")
        )
        db.session.commit()  # a later commit in the same request has nothing left to keep
    assert status == 422
    assert 'id="outcome-error"' in page and "Skal udfyldes." in page
    assert "Korte møder virker" in page  # what was typed is shown again
    assert stored(app, world, action).outcome is None


def test_saved_commits_flashes_and_redirects(app, world, action):
    with on_page(app, world, action) as row:
        row.outcome = "Vi holdt det i fire uger"
        reply = saved("Opfølgningen er gemt.", world.url("/actions/mine"))
        db.session.rollback()  # too late: it is committed
        flashed = get_flashed_messages(with_categories=True)
    assert (reply.status_code, reply.location) == (302, world.url("/actions/mine"))
    assert flashed == [("success", "Opfølgningen er gemt.")]
    assert stored(app, world, action).outcome == "Vi holdt det i fire uger"


@pytest.mark.parametrize("errors", [None, {}])
def test_form_page_without_errors_is_the_plain_form(app, world, action, errors):
    with on_page(app, world, action) as row:
        page, status = form_page(FORM, errors, **form_context(row))
    assert status == 200
    assert "form-error-message" not in page


def test_form_page_with_errors_is_invalid(app, world, action):
    with on_page(app, world, action) as row:
        row.learning = "Halvt gemt"
        db.session.flush()
        page, status = form_page(FORM, {"learning": "Højst 4000 tegn."}, **form_context(row))
        db.session.commit()
    assert status == 422
    assert 'id="learning-error"' in page
    assert stored(app, world, action).learning is None
