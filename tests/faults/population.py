"""The fault tests' data: one team whose reminders are due, and what its outbox says."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, select

from tests.faults.servers import Stack
from tests.services import wait_for
from web.cycles.models import Cycle, Phase
from web.extensions import db
from web.models import utcnow
from web.orgs.models import Membership, MembershipRole
from web.reminders.cadence import local_day
from web.reminders.models import OutboxStatus, ReminderOutbox
from web.tenancy import tenant_scope
from web.users.models import User


@dataclass
class Population:
    tenant: object
    tenant_id: int
    slug: str
    cycle_id: int
    emails: list[str]


def populate(app, make, count: int, *, first: tuple[str, ...] = ()) -> Population:
    """One team of ``count`` people (after the ``first`` addresses, whose reminders thus come
    first) in a cycle whose preparation is open: one ``preparation_opened`` reminder each is
    due. Bulk inserts, no leader (so no weekly digest), and no ORM ``Cycle`` object (so no
    after-commit planning in this process).
    """
    tenant = make.tenant()
    unit = make.unit(tenant, "Hjemmeplejen Nord")
    emails = list(first) + [f"p{i}@fault.example" for i in range(count)]
    with app.app_context(), tenant_scope(tenant.id):
        user_ids = db.session.scalars(
            insert(User).returning(User.id),
            [
                {
                    "tenant_id": tenant.id,
                    "subject": f"fault-{i}",
                    "email": email,
                    "display_name": f"Person {i}",
                    "locale": "en" if i % 5 == 0 else "da",
                }
                for i, email in enumerate(emails)
            ],
        ).all()
        db.session.execute(
            insert(Membership),
            [
                {
                    "tenant_id": tenant.id,
                    "user_id": user_id,
                    "unit_id": unit.id,
                    "role": MembershipRole.EMPLOYEE,
                }
                for user_id in user_ids
            ],
        )
        today = local_day(utcnow())
        cycle_id = db.session.scalar(
            insert(Cycle)
            .returning(Cycle.id)
            .values(
                tenant_id=tenant.id,
                unit_id=unit.id,
                phase=Phase.PREPARATION,
                preparation_starts_on=today - timedelta(days=1),
                preparation_ends_on=today + timedelta(days=10),
                follow_up_on=today + timedelta(days=60),
            )
        )
        db.session.commit()
        db.session.remove()
    return Population(tenant, tenant.id, tenant.slug, cycle_id, emails)


def statuses(app, tenant_id: int) -> Counter[str]:
    with app.app_context(), tenant_scope(tenant_id):
        counts = Counter(
            {
                str(status): n
                for status, n in db.session.execute(
                    select(ReminderOutbox.status, func.count()).group_by(ReminderOutbox.status)
                )
            }
        )
        db.session.remove()
    return counts


def outbox(app, tenant_id: int) -> list[ReminderOutbox]:
    with app.app_context(), tenant_scope(tenant_id):
        rows = list(db.session.scalars(select(ReminderOutbox).order_by(ReminderOutbox.id)))
        db.session.remove()
    return rows


def settle(predicate: Callable[[], bool], timeout: float, what: str, stack: Stack) -> None:
    """``wait_for`` that shows the processes' logs when it gives up."""
    try:
        wait_for(predicate, timeout, what)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{stack.logs()}") from None


def quiet(seconds: float) -> None:
    """Let the beat and workers run on for a while: nothing more may arrive."""
    time.sleep(seconds)


def all_sent(app, tenant_id: int, total: int) -> Callable[[], bool]:
    return lambda: statuses(app, tenant_id)[OutboxStatus.SENT] == total
