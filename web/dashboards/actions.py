"""A leader's actions across the units they lead: filtered, paged and downloadable.

The same rows a leader reaches cycle by cycle (``t.actions.for_cycle``): actions of cycles in
the units they lead (and every unit below them) or whose leader they are; nothing of other
units, so a download leaves nobody's team that the page would not show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from web.cycles.models import OPEN_ACTION_STATUSES, Action, ActionStatus, Cycle
from web.cycles.services.actions import today
from web.extensions import db
from web.orgs.models import OrgUnit
from web.permissions import led_unit_ids
from web.users.models import User

OVERDUE = "overdue"  # the status filter's choice for open actions past their due date


@dataclass(frozen=True)
class ActionRow:
    id: int
    cycle_id: int
    unit_name: str
    text: str
    owner_name: str | None
    due_on: date
    status: ActionStatus

    def is_overdue(self, on: date) -> bool:
        return self.status in OPEN_ACTION_STATUSES and self.due_on < on


@dataclass(frozen=True)
class ActionQuery:
    unit_id: int | None = None
    status: str | None = None  # an ActionStatus value or OVERDUE
    owner_id: int | None = None
    since: date | None = None  # due on or after
    until: date | None = None  # due on or before


def _visible(user: User):
    return or_(Cycle.unit_id.in_(sorted(led_unit_ids(user))), Cycle.leader_id == user.id)


def units_with_actions(user: User) -> list[tuple[int, str]]:
    """(id, name) of the units whose actions ``user`` sees, for the unit filter."""
    return list(
        db.session.execute(
            select(OrgUnit.id, OrgUnit.name)
            .join(Cycle, Cycle.unit_id == OrgUnit.id)
            .join(Action, Action.cycle_id == Cycle.id)
            .where(_visible(user))
            .group_by(OrgUnit.id, OrgUnit.name)
            .order_by(OrgUnit.name, OrgUnit.id)
        ).all()
    )


def owners(user: User) -> list[tuple[int, str]]:
    """(id, name) of the people who own an action ``user`` sees, for the person filter."""
    return list(
        db.session.execute(
            select(User.id, User.display_name)
            .join(Action, Action.owner_id == User.id)
            .join(Cycle, Cycle.id == Action.cycle_id)
            .where(_visible(user))
            .group_by(User.id, User.display_name)
            .order_by(User.display_name, User.id)
        ).all()
    )


def search(
    user: User, query: ActionQuery, *, limit: int, offset: int = 0
) -> tuple[int, list[ActionRow]]:
    """(how many match, the page of them by due date) of the actions ``user`` sees."""
    unit, owner = aliased(OrgUnit), aliased(User)
    where = [_visible(user)]
    if query.unit_id is not None:
        where.append(Cycle.unit_id == query.unit_id)
    if query.status == OVERDUE:
        where += [Action.status.in_(OPEN_ACTION_STATUSES), Action.due_on < today()]
    elif query.status is not None:
        where.append(Action.status == ActionStatus(query.status))
    if query.owner_id is not None:
        where.append(Action.owner_id == query.owner_id)
    if query.since is not None:
        where.append(Action.due_on >= query.since)
    if query.until is not None:
        where.append(Action.due_on <= query.until)
    base = select(Action.id).join(Cycle, Cycle.id == Action.cycle_id).where(and_(*where))
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = db.session.execute(
        select(
            Action.id,
            Action.cycle_id,
            unit.name,
            Action.text,
            owner.display_name,
            Action.due_on,
            Action.status,
        )
        .join(Cycle, Cycle.id == Action.cycle_id)
        .join(unit, unit.id == Cycle.unit_id)
        .outerjoin(owner, owner.id == Action.owner_id)
        .where(and_(*where))
        .order_by(Action.due_on, Action.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return total or 0, [ActionRow(*row) for row in rows]
