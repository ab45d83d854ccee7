"""The hand-over mark, in-process against the loopback SMTP server: what makes the worker
fault tests exactly once (see ``delivery.send`` and ``services.release_expired``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.reminders.helpers import deliver, plan, settings_for
from tests.reminders.teams import NOW, make_team, outbox
from web.extensions import db
from web.reminders import delivery, services
from web.reminders.models import OutboxStatus
from web.tenancy import tenant_scope


def test_a_row_handed_over_before_its_worker_died_is_never_sent_again(app, make, smtp_server):
    team = make_team(make)
    plan(app, team.tenant.id)
    settings = settings_for(smtp_server)
    with app.app_context(), tenant_scope(team.tenant.id):
        claimed, _ = delivery.claim(team.tenant.id, NOW, settings)
        [first] = delivery.load_batch(team.tenant.id, claimed[:1]).rows
        # The worker committed the hand-over, wrote the final "." and died before the "250".
        marks = delivery.Marks(NOW)
        delivery.Handover(first, "<r.test@aktorskab.local>", marks)()
        marks.close()
        later = NOW + timedelta(minutes=11)
        assert services.release_expired(team.tenant.id, later) == 4
        db.session.commit()
    assert deliver(app, team.tenant.id, settings, later).sent == 3
    with app.app_context():
        rows = {r.id: r for r in outbox(team.tenant.id)}
    assert {r.status for r in rows.values()} == {OutboxStatus.SENT}
    assert rows[first.id].message_id == "<r.test@aktorskab.local>"
    assert rows[first.id].last_error.startswith("in doubt")
    assert rows[first.id].attempts == 1
    assert len(smtp_server.messages) == 3


def test_an_answer_lost_after_the_final_dot_is_not_a_second_copy(app, make, smtp_server):
    team = make_team(make)
    taken = []

    async def take_and_hang_up(server, session, envelope):
        taken.append(envelope.rcpt_tos[0])
        server.transport.abort()  # the message is the server's; its "250" never comes
        return "250 OK"

    smtp_server.handle_DATA = take_and_hang_up
    plan(app, team.tenant.id)
    outcome = deliver(app, team.tenant.id, settings_for(smtp_server))
    assert (outcome.sent, outcome.released, outcome.retried) == (1, 3, 0)
    with app.app_context():
        rows = outbox(team.tenant.id)
    [doubtful] = [r for r in rows if r.status == OutboxStatus.SENT]
    assert doubtful.last_error.startswith("in doubt: handed to the server, no answer")
    assert doubtful.message_id
    assert {r.status for r in rows} == {OutboxStatus.SENT, OutboxStatus.PENDING}
    assert len(taken) == 1


def test_a_refusal_after_the_final_dot_clears_the_mark_and_retries(app, make, smtp_server):
    team = make_team(make)

    async def refuse_data(server, session, envelope):
        return "451 4.3.0 queue full"

    smtp_server.handle_DATA = refuse_data
    plan(app, team.tenant.id)
    outcome = deliver(app, team.tenant.id, settings_for(smtp_server))
    assert (outcome.sent, outcome.retried) == (0, 4)
    with app.app_context():
        rows = outbox(team.tenant.id)
    assert {(r.status, r.message_id) for r in rows} == {(OutboxStatus.PENDING, None)}
    assert all("451" in r.last_error for r in rows)


class Died(BaseException):
    """kill -9 in-process: nothing after it runs (no except, no finally of ours)."""


def test_a_worker_that_dies_after_a_250_before_its_sent_mark_never_sends_twice(
    app, make, smtp_server, monkeypatch
):
    # "sent" rides along with the next hand-over; die right before that next commit, when the
    # first e-mail is the server's and recorded only as handed over.
    team = make_team(make)
    plan(app, team.tenant.id)
    calls = []
    original = delivery.Marks.hand_over

    def hand_over_then_die(self, row, message_id):
        calls.append(row.id)
        if len(calls) == 2:
            raise Died
        original(self, row, message_id)

    def dead(self):
        raise Died

    monkeypatch.setattr(delivery.Marks, "hand_over", hand_over_then_die)
    monkeypatch.setattr(delivery.Marks, "flush", dead)
    connections = []

    def connect(settings):
        connections.append(delivery.connect(settings))
        return connections[-1]

    with pytest.raises(Died):
        deliver(app, team.tenant.id, settings_for(smtp_server), connect_to=connect)
    connections[0].close()  # the dead worker's socket, closed by its kernel
    with app.app_context():
        db.session.rollback()
        first = next(r for r in outbox(team.tenant.id) if r.id == calls[0])
    assert (first.status, first.message_id is not None) == (OutboxStatus.SENDING, True)
    assert len(smtp_server.messages) == 1  # the second one never got its "."
    monkeypatch.undo()

    later = NOW + timedelta(minutes=11)
    with app.app_context(), tenant_scope(team.tenant.id):
        assert services.release_expired(team.tenant.id, later) == 4
        db.session.commit()
    assert deliver(app, team.tenant.id, settings_for(smtp_server), later).sent == 3
    with app.app_context():
        rows = {r.id: r for r in outbox(team.tenant.id)}
    assert {r.status for r in rows.values()} == {OutboxStatus.SENT}
    assert rows[calls[0]].last_error.startswith("in doubt")
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == len(set(ids)) == 4
    assert set(ids) == {r.message_id for r in rows.values()}
