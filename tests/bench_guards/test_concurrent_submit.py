"""Found by bench/web.py: two saves of one person's answers at once (a double click, two tabs)
must not fail on the unique (prompt, author) key; the second waits and updates. And two
members' first answers at once must both count in the cycle's participation counters."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from web.cycles.models import Contribution, Cycle, Visibility
from web.cycles.services.contributions import AnswerInput, save_answers
from web.extensions import db
from web.tenancy import tenant_scope
from web.users.models import User

pytestmark = pytest.mark.postgres("threaded saves that rely on PostgreSQL's row locks")


def overlapping(app, tenant_id: int, first, second) -> None:
    """Run ``first(session)`` and ``second(session)`` in two transactions that overlap: the
    first holds its locks until the second has been seen waiting for them, then commits."""
    first_holds_lock, let_first_commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def run(work, hold: bool) -> None:
        try:
            with app.app_context(), tenant_scope(tenant_id):
                work()
                if hold:
                    first_holds_lock.set()
                    let_first_commit.wait(10)
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    one = threading.Thread(target=run, args=(first, True))
    one.start()
    assert first_holds_lock.wait(10)
    two = threading.Thread(target=run, args=(second, False))
    two.start()
    two.join(0.5)
    assert two.is_alive()  # waiting for the first transaction's lock
    let_first_commit.set()
    one.join(10)
    two.join(10)
    assert errors == []


def test_a_second_concurrent_save_waits_and_updates(app, committed_make):
    tenant = committed_make.tenant("samtidig")
    team = committed_make.unit(tenant, "Teamet")
    leader = committed_make.user(tenant, "Lise Leder", leader_of=team)
    anna = committed_make.user(tenant, "Anna", unit=team)
    cycle_id = committed_make.started_cycle(tenant, team, leader).id

    def save(text: str):
        def work() -> None:
            cycle = db.session.get(Cycle, cycle_id)
            save_answers(
                db.session.get(User, anna.id),
                cycle,
                [AnswerInput(p.id, text, Visibility.NAMED) for p in cycle.prompts],
            )

        return work

    overlapping(app, tenant.id, save("Første"), save("Anden"))
    with app.app_context(), tenant_scope(tenant.id):
        texts = db.session.scalars(
            select(Contribution.text).where(
                Contribution.cycle_id == cycle_id, Contribution.author_id == anna.id
            )
        ).all()
        db.session.remove()
    assert texts and set(texts) == {"Anden"}


def test_two_first_answers_at_once_both_count(app, committed_make):
    """Two members' first answers in overlapping transactions: the second waits for the first's
    lock on the cycle's counters and then adds to them, so neither increment is lost."""
    tenant = committed_make.tenant("samtidig-to")
    team = committed_make.unit(tenant, "Teamet")
    leader = committed_make.user(tenant, "Lise Leder", leader_of=team)
    anna = committed_make.user(tenant, "Anna", unit=team)
    bo = committed_make.user(tenant, "Bo", unit=team)
    cycle_id = committed_make.started_cycle(tenant, team, leader).id

    def save(user_id: int):
        def work() -> None:
            cycle = db.session.get(Cycle, cycle_id)
            save_answers(
                db.session.get(User, user_id),
                cycle,
                [AnswerInput(cycle.prompts[0].id, "Svar", Visibility.NAMED)],
            )

        return work

    overlapping(app, tenant.id, save(anna.id), save(bo.id))
    with app.app_context(), tenant_scope(tenant.id):
        counts = db.session.execute(
            select(Cycle.member_count, Cycle.contributor_count).where(Cycle.id == cycle_id)
        ).one()
        db.session.remove()
    assert tuple(counts) == (3, 2)  # Lise, Anna, Bo asked; Anna and Bo took part
