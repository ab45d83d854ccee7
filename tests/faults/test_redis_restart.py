"""Redis dies in the middle of a run and comes back empty: nothing is lost, nothing repeats.

The broker only carries "go and look"; the outbox in PostgreSQL decides what is sent. When
Redis is killed (no persistence: every queued delivery task is gone) the worker finishes the
chunk it holds, the worker and the beat reconnect once Redis is back on the same port, and the
beat's planning queues delivery for whatever is still pending once a lease has gone by with no
chunk started (the chunks it counted as queued went with Redis: web/reminders/dispatch.py).
"""

from __future__ import annotations

import time

import pytest

from tests.faults.population import all_sent, outbox, populate, quiet, settle, statuses
from tests.faults.servers import DELIVERY_TIMEOUT
from web.reminders.models import OutboxStatus

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres(
        "fault tests run their own redis-server (killed, restarted) and SKIP LOCKED claims"
    ),
]
PEOPLE = 600
# A short lease: the queued chunks lost with Redis are queued again after one.
SETTINGS = {"REMINDER_PLAN_SECONDS": "3", "REMINDER_LEASE_SECONDS": "12"}


def test_a_redis_restart_mid_run_loses_nothing(app, committed_make, stack, smtp, redis_server):
    people = populate(app, committed_make, PEOPLE)
    sink = smtp.sink
    beat = stack.beat("beat", **SETTINGS)
    worker = stack.worker("worker", **SETTINGS)
    settle(lambda: sink.received >= 200, DELIVERY_TIMEOUT, "the first 200 e-mails", stack)

    redis_server.kill()
    down_at = sink.received
    time.sleep(4)  # the worker carries on with its chunk; the beat cannot publish
    at_restart = statuses(app, people.tenant_id)
    redis_server.start()
    assert redis_server.ping() and at_restart[OutboxStatus.SENT] < PEOPLE

    settle(
        all_sent(app, people.tenant_id, PEOPLE),
        DELIVERY_TIMEOUT,
        "every reminder sent after Redis came back",
        stack,
    )
    quiet(4)

    assert worker.popen.poll() is None and beat.popen.poll() is None, stack.logs()
    assert sink.twice() == {}
    assert len(sink.message_ids) == PEOPLE
    assert set(sink.recipients) == set(people.emails)
    rows = outbox(app, people.tenant_id)
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert {r.message_id for r in rows} == set(sink.message_ids)
    print(f"Redis killed at {down_at} received; {at_restart} when it came back")
