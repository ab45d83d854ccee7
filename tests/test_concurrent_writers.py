"""Two writers at once, on either backend: a transaction that reads a row, then changes it
while another connection holds the write lock (SQLite) or the row's lock (PostgreSQL), waits
for that writer and commits; it never fails at once with "database is locked".

On SQLite the product's connections begin a transaction at its first write (pysqlite's own
control), so a read before it is no read transaction to upgrade; the busy timeout bounds the
wait. The test process's engine does the same outside the rolled-back test transactions
(tests/conftest.py), which is what this test runs on (``committed_db``).
"""

from __future__ import annotations

import threading
import time

from web.extensions import db
from web.tenancy import tenant_scope
from web.tenants.models import Tenant

HOLD_S = 0.5


def test_a_read_then_a_write_waits_for_another_writer(app, committed_make):
    tenant = committed_make.tenant()
    held, done = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def other_writer() -> None:
        try:
            with app.app_context(), tenant_scope(tenant.id):
                db.session.get(Tenant, tenant.id).name = "Den anden"
                db.session.flush()
                held.set()
                time.sleep(HOLD_S)
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # reported by the test below
            failures.append(error)
            held.set()
        finally:
            done.set()

    with app.app_context(), tenant_scope(tenant.id):
        row = db.session.get(Tenant, tenant.id)  # the read, in this session's transaction
        assert row is not None
        thread = threading.Thread(target=other_writer)
        thread.start()
        assert held.wait(10)
        started = time.monotonic()
        row.name = "Denne"
        db.session.commit()
        waited = time.monotonic() - started
        thread.join(10)
        db.session.remove()
        assert done.is_set() and not failures
        assert waited > HOLD_S / 2, "the write did not wait for the other writer"
        assert db.session.get(Tenant, tenant.id).name == "Denne"
        db.session.remove()
