"""Two beat processes at once (each with its own schedule file) and two workers: every
reminder still goes out once, and no row is even claimed twice.

Both beats fire the planner every second, so plan_tenant and delivery tasks race each other
on two workers; the outbox's unique key and ``FOR UPDATE SKIP LOCKED`` claims settle every race.
"""

from __future__ import annotations

import pytest

from tests.faults.population import all_sent, outbox, populate, quiet, settle
from tests.faults.servers import DELIVERY_TIMEOUT
from web.reminders.models import OutboxStatus

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres(
        "fault tests run their own redis-server (killed, restarted) and SKIP LOCKED claims"
    ),
]
PEOPLE = 800
SETTINGS = {"REMINDER_PLAN_SECONDS": "1", "REMINDER_CHUNK_SIZE": "100"}


def test_two_beats_and_two_workers_send_each_reminder_once(app, committed_make, stack, smtp):
    people = populate(app, committed_make, PEOPLE)
    sink = smtp.sink
    beats = [stack.beat(f"beat-{n}", **SETTINGS) for n in (1, 2)]
    stack.worker("worker-1", **SETTINGS)
    stack.worker("worker-2", **SETTINGS)

    settle(all_sent(app, people.tenant_id, PEOPLE), DELIVERY_TIMEOUT, "every reminder sent", stack)
    quiet(4)  # both beats plan on: nothing more

    for beat in beats:
        assert beat.popen.poll() is None, stack.logs()
        assert beat.output().count("Scheduler: Sending due task reminders-plan") >= 3
    assert sink.twice() == {}
    assert len(sink.message_ids) == PEOPLE
    assert set(sink.recipients) == set(people.emails)
    rows = outbox(app, people.tenant_id)
    assert len(rows) == PEOPLE and {r.status for r in rows} == {OutboxStatus.SENT}
    assert {r.attempts for r in rows} == {1}
