"""Reminders that can never go out end 'failed', visibly, and hold nobody else up.

Three poisoned recipients come first in the run (the head of the first chunk): an address the
server refuses for good (550), one it always answers "try later" (451), and one with "ø" before
the @, which needs SMTPUTF8 (reminders do not use it). Each ends ``failed`` with its
``last_error`` on the admin's failed page; everyone else gets the reminder exactly once.
"""

from __future__ import annotations

import pytest
from markupsafe import escape

from tests.faults.population import outbox, populate, quiet, settle, statuses
from tests.faults.servers import DELIVERY_TIMEOUT
from web.auth.session import session_payload
from web.reminders.models import OutboxStatus
from web.users.models import TenantRoleName

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres(
        "fault tests run their own redis-server (killed, restarted) and SKIP LOCKED claims"
    ),
]
PEOPLE = 300
GONE, LATER, UTF8 = "findes.ikke@fault.example", "senere@fault.example", "søren@fault.example"
SETTINGS = {
    "REMINDER_PLAN_SECONDS": "1",
    "REMINDER_RETRY_SECONDS": "1",
    "REMINDER_MAX_ATTEMPTS": "3",
    "REMINDER_CHUNK_SIZE": "50",
}


def test_reminders_that_always_fail_end_failed_visibly_and_block_nobody(
    app, committed_make, stack, smtp
):
    people = populate(app, committed_make, PEOPLE, first=(GONE, LATER, UTF8))
    sink = smtp.sink
    sink.refuse(GONE, "550 5.1.1 no such mailbox")
    sink.refuse(LATER, "451 4.3.0 try again later")
    stack.beat("beat", **SETTINGS)
    stack.worker("worker", **SETTINGS)

    def settled():
        counts = statuses(app, people.tenant_id)
        return counts[OutboxStatus.SENT] == PEOPLE and counts[OutboxStatus.FAILED] == 3

    settle(settled, DELIVERY_TIMEOUT, "300 sent and 3 failed", stack)
    quiet(3)

    assert sink.twice() == {}
    assert len(sink.message_ids) == PEOPLE
    assert set(sink.recipients) == set(people.emails) - {GONE, LATER, UTF8}
    rows = {r.recipient_id: r for r in outbox(app, people.tenant_id)}
    failed = {r.id: r for r in rows.values() if r.status == OutboxStatus.FAILED}
    errors = sorted(r.last_error for r in failed.values())
    assert [e.split(":")[0] for e in errors] == ["address", "refused", "refused"], errors
    assert any("550" in e for e in errors) and any("451" in e for e in errors)
    attempts = sorted(r.attempts for r in failed.values())
    assert attempts == [1, 1, 3], attempts  # 550 and the address at once; 451 to the last try
    assert all(r.message_id is None for r in failed.values())

    admin = committed_make.user(people.tenant, "Anne Admin", roles=(TenantRoleName.ADMIN,))
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(session_payload(admin))
    page = client.get(f"/t/{people.slug}/reminders/failed")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for address in (GONE, LATER, UTF8):
        assert address in html, address
    for error in errors:  # each row's last_error, as the admin reads it
        assert str(escape(error)) in html, error
