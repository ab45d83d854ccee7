"""kill -9 a worker in the middle of a fan-out of 2,000 reminders; a new worker finishes the job.

The killed worker leaves its chunk ``sending`` under a lease; once the lease is over the beat's
planning gives those rows back and the new worker sends them. Every reminder arrives exactly
once: 2,000 distinct Message-IDs at the SMTP server, none twice — except the one loss the design
admits (README, Reminders): a kill while the hand-over mark's COMMIT is in flight, before the
final "." of DATA, leaves that row counted as sent "in doubt" although the server dropped it.
The test allows at most that one row, and only marked so.
"""

from __future__ import annotations

import random
import time

import pytest

from tests.faults.population import all_sent, outbox, populate, quiet, settle, statuses
from tests.faults.servers import DELIVERY_TIMEOUT, START_TIMEOUT
from web.reminders.models import OutboxStatus

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres(
        "fault tests run their own redis-server (killed, restarted) and SKIP LOCKED claims"
    ),
]
PEOPLE = 2000
SETTINGS = {"REMINDER_PLAN_SECONDS": "3", "REMINDER_LEASE_SECONDS": "20"}


def test_a_worker_killed_mid_fan_out_loses_and_repeats_nothing(app, committed_make, stack, smtp):
    people = populate(app, committed_make, PEOPLE)
    sink = smtp.sink
    stack.beat("beat", **SETTINGS)
    worker = stack.worker("first", **SETTINGS)
    settle(lambda: sink.received >= 600, DELIVERY_TIMEOUT, "the first 600 e-mails", stack)
    for attempt in range(1, 4):
        settle(
            lambda: statuses(app, people.tenant_id)[OutboxStatus.SENDING] > 0,
            START_TIMEOUT,
            "a chunk under way",
            stack,
        )
        time.sleep(random.uniform(0, 0.1))  # anywhere in the chunk, mid-message too
        worker.stop(9)
        at_kill = statuses(app, people.tenant_id)
        received_at_kill = sink.received
        if at_kill[OutboxStatus.SENDING] > 0:
            break
        # The chunk ended in those milliseconds and the kill fell between two tasks: again.
        worker = stack.worker(f"again-{attempt}", **SETTINGS)
    else:
        raise AssertionError(f"no kill landed inside a claimed chunk\n{stack.logs()}")
    assert received_at_kill < PEOPLE

    started = time.monotonic()
    stack.worker("second", **SETTINGS)
    settle(
        all_sent(app, people.tenant_id, PEOPLE),
        DELIVERY_TIMEOUT + START_TIMEOUT,
        "every reminder sent after the restart",
        stack,
    )
    recovered_in = time.monotonic() - started
    quiet(4)  # a beat or two more: nothing else may go out

    assert sink.twice() == {}
    assert set(sink.recipients.values()) == {1}
    rows = outbox(app, people.tenant_id)
    assert len(rows) == PEOPLE and {r.status for r in rows} == {OutboxStatus.SENT}
    lost = [r for r in rows if r.message_id not in sink.message_ids]
    assert len(lost) <= 1, [(r.id, r.last_error) for r in lost]
    assert all("in doubt" in (r.last_error or "") for r in lost), [r.last_error for r in lost]
    assert {r.message_id for r in rows} - {r.message_id for r in lost} == set(sink.message_ids)
    assert len(sink.message_ids) == PEOPLE - len(lost)
    assert len(set(sink.recipients)) == PEOPLE - len(lost)
    print(
        f"killed with {received_at_kill} received, {at_kill[OutboxStatus.SENDING]} sending; "
        f"recovered in {recovered_in:.1f}s"
    )
