"""The SMTP server refuses connections for a while, then comes back.

Sessions under way finish; every new connection is refused. The first row of each chunk that
meets the refusal counts an attempt and waits for its back-off (REMINDER_RETRY_SECONDS,
doubling), the rest of the chunk goes back untouched and waits as long; the beat's planning
sends them once the back-off is over. Nothing fails, nothing arrives twice, and the attempts
stay few: with a back-off of 2, 4, 8, 16 s a row meets an outage of about ten seconds at most
four times (then succeeds), where the planner, every second, would have tried it ten times.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from tests.faults.population import all_sent, outbox, populate, quiet, settle
from tests.faults.servers import DELIVERY_TIMEOUT
from web.extensions import db
from web.reminders.models import OutboxStatus, ReminderOutbox
from web.tenancy import tenant_scope

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres(
        "fault tests run their own redis-server (killed, restarted) and SKIP LOCKED claims"
    ),
]
PEOPLE = 600
OUTAGE = 10
SETTINGS = {
    "REMINDER_PLAN_SECONDS": "1",
    "REMINDER_RETRY_SECONDS": "2",
    "REMINDER_CHUNK_SIZE": "100",
}


def refused_rows(app, tenant_id):
    with app.app_context(), tenant_scope(tenant_id):
        count = db.session.scalar(
            select(db.func.count()).where(ReminderOutbox.last_error.like("connection:%"))
        )
        db.session.remove()
    return count


def test_smtp_refusing_connections_for_a_while_delays_but_sends_each_once(
    app, committed_make, stack, smtp
):
    people = populate(app, committed_make, PEOPLE)
    sink = smtp.sink
    stack.beat("beat", **SETTINGS)
    stack.worker("worker", **SETTINGS)
    settle(lambda: sink.received >= 100, DELIVERY_TIMEOUT, "the first 100 e-mails", stack)

    smtp.refuse_connections()
    settle(lambda: refused_rows(app, people.tenant_id) > 0, 60, "a refused connection", stack)
    during = sink.received
    time.sleep(OUTAGE)
    stalled = sink.received
    smtp.accept_connections()
    assert stalled == during, "nothing can arrive while connections are refused"

    settle(
        all_sent(app, people.tenant_id, PEOPLE),
        DELIVERY_TIMEOUT,
        "every reminder sent after the server came back",
        stack,
    )
    quiet(3)

    assert sink.twice() == {}
    assert len(sink.message_ids) == PEOPLE
    assert set(sink.recipients) == set(people.emails)
    rows = outbox(app, people.tenant_id)
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    retried = [r for r in rows if r.attempts > 1]
    assert retried, "the rows that met the refusal were tried again"
    # few attempts: the back-off doubles (how many fit in the outage depends on how fast the
    # worker gets to them on a loaded machine, so only the upper bound is a promise)
    assert max(r.attempts for r in rows) <= 5, sorted(r.attempts for r in retried)
    print(
        f"refused from {during} received; {len(retried)} rows retried, attempts "
        f"{sorted(r.attempts for r in retried)}"
    )
