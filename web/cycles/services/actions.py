"""Agreed actions (aftaler / næste skridt): recorded by the leader in the agreements phase,
kept up to date by their owners, followed up by the team.

Every function takes the acting user and the rows it works on, validates all of its input and
raises ``InputError`` before writing anything, then writes and flushes; the caller commits.
Permissions are checked by the caller (``Permission.MANAGE_CYCLE``, ``UPDATE_ACTION``,
``RECORD_FOLLOW_UP``); the rules here are the ones that depend on data: phases, dates and who
belongs to the team.
"""

from __future__ import annotations

import enum
import functools
from datetime import date, datetime
from typing import TypeVar

from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, case, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from web.cycles.models import MAX_ACTION, OPEN_ACTION_STATUSES, Action, ActionStatus, Cycle, Phase
from web.errors import Conflict, InputError
from web.extensions import db
from web.inputs import Day, Id, check_text, read
from web.models import today
from web.orgs.models import Membership
from web.permissions import cycle_unit_ids
from web.users.models import User
from web.vocabulary import KKC, Expectation

# Documented limits (README): what happened and what we learned, per action.
MAX_FOLLOW_UP = 4000

RECORD_PHASES = (Phase.AGREEMENTS,)  # new actions
CHANGE_PHASES = (Phase.AGREEMENTS, Phase.FOLLOW_UP)  # edit an action, set its status
FOLLOW_UP_PHASES = (Phase.FOLLOW_UP,)  # what happened, what we learned

E = TypeVar("E", bound=enum.Enum)


def is_overdue(action: Action, on: date | None = None) -> bool:
    return action.status in OPEN_ACTION_STATUSES and action.due_on < (on or today())


def team_members(cycle: Cycle) -> list[User]:
    """The active people of the cycle's team (every unit the cycle covers), by name."""
    member_ids = select(Membership.user_id).where(Membership.unit_id.in_(cycle_unit_ids(cycle)))
    return list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(member_ids), User.is_active)
            .order_by(User.display_name, User.id)
        )
    )


def actions_for_cycle(cycle: Cycle, *, open_only: bool = False) -> list[Action]:
    """The cycle's actions (or only its open ones) by due date, owners loaded with them (two
    queries whatever their number)."""
    query = (
        select(Action)
        .where(Action.cycle_id == cycle.id)
        .options(selectinload(Action.owner))
        .order_by(Action.due_on, Action.id)
    )
    if open_only:
        query = query.where(Action.status.in_(OPEN_ACTION_STATUSES))
    return list(db.session.scalars(query))


def actions_owned_by(
    user: User, *, open_only: bool = False, limit: int | None = None
) -> list[Action]:
    """The user's actions: open ones first, by due date; each with its cycle and unit."""
    params = {"tenant": user.tenant_id, "owner": user.id}
    if limit is not None:
        params["limit"] = limit
    return list(
        db.session.scalars(
            _actions_owned_statement(open_only, limit is not None),
            params,
            execution_options={"skip_tenant_scope": True},
        )
    )


@functools.cache
def _actions_owned_statement(open_only: bool, limited: bool):
    """Built once per shape, naming the tenant itself (executed with ``skip_tenant_scope``:
    the scoping hook's criteria are rebuilt and re-keyed per execution; every employee's
    front page asks this). The eager joins follow the action's own foreign keys."""
    query = (
        select(Action)
        .where(Action.tenant_id == bindparam("tenant"), Action.owner_id == bindparam("owner"))
        .options(joinedload(Action.cycle).options(joinedload(Cycle.unit), lazyload(Cycle.prompts)))
        .order_by(
            case((Action.status.in_(OPEN_ACTION_STATUSES), 0), else_=1), Action.due_on, Action.id
        )
    )
    if open_only:
        query = query.where(Action.status.in_(OPEN_ACTION_STATUSES))
    if limited:
        query = query.limit(bindparam("limit", type_=Integer))
    return query


def create_action(
    user: User,
    cycle: Cycle,
    *,
    text: str | None,
    owner_id: object,
    due_on: object,
    expectation: object = None,
    kkc: object = None,
) -> Action:
    """Record an agreed action; the due date may not lie in the past."""
    errors: dict[str, str] = {}
    if cycle.phase not in RECORD_PHASES:
        raise Conflict(_("Handlinger aftales i aftalefasen."))
    values = validated_action(
        errors,
        cycle,
        text=text,
        owner_id=owner_id,
        due_on=due_on,
        expectation=expectation,
        kkc=kkc,
        earliest=today(),
    )
    if errors:
        raise InputError(errors)
    action = Action(cycle_id=cycle.id, status=ActionStatus.PLANNED, **values)
    db.session.add(action)
    db.session.flush()
    return action


def update_action(
    user: User,
    action: Action,
    *,
    text: str | None,
    owner_id: object,
    due_on: object,
    expectation: object = None,
    kkc: object = None,
) -> Action:
    """Change what was agreed; a changed due date may not lie in the past (an unchanged one may,
    so an overdue action can still be reworded or handed to someone else)."""
    errors: dict[str, str] = {}
    _check_phase(action.cycle, CHANGE_PHASES)
    parsed_due = parse_date(errors, "due_on", due_on)
    earliest = None if parsed_due == action.due_on else today()
    values = validated_action(
        errors,
        action.cycle,
        text=text,
        owner_id=owner_id,
        due_on=due_on,
        expectation=expectation,
        kkc=kkc,
        earliest=earliest,
    )
    if errors:
        raise InputError(errors)
    for name, value in values.items():
        setattr(action, name, value)
    db.session.flush()
    return action


def delete_action(user: User, action: Action) -> None:
    """Remove an action agreed by mistake; only while the agreements are being made."""
    if action.cycle.phase not in RECORD_PHASES:
        raise Conflict(_("Handlinger kan kun slettes i aftalefasen."))
    db.session.delete(action)
    db.session.flush()


def set_status(user: User, action: Action, status: object) -> Action:
    errors: dict[str, str] = {}
    _check_phase(action.cycle, CHANGE_PHASES)
    parsed = parse_choice(errors, "status", ActionStatus, status, required=True)
    if errors:
        raise InputError(errors)
    action.status = parsed
    db.session.flush()
    return action


def record_follow_up(
    user: User, action: Action, *, outcome: str | None, learning: str | None
) -> Action:
    """The team's follow-up of one action: what happened (required), what was learned."""
    if action.cycle.phase not in FOLLOW_UP_PHASES:
        raise Conflict(_("Handlingerne følges op i opfølgningsfasen."))
    errors: dict[str, str] = {}
    outcome = check_text(errors, "outcome", outcome, MAX_FOLLOW_UP, required=True)
    learning = check_text(errors, "learning", learning, MAX_FOLLOW_UP)
    if errors:
        raise InputError(errors)
    action.outcome, action.learning = outcome, learning or None
    db.session.flush()
    return action


# --- validation (parse_* are shared with the examples) ------------------------------------


def _check_phase(cycle: Cycle, phases: tuple[Phase, ...]) -> None:
    if cycle.phase not in phases:
        raise Conflict(_("Handlingerne kan kun ændres i aftale- og opfølgningsfasen."))


def validated_action(
    errors: dict[str, str],
    cycle: Cycle,
    *,
    text,
    owner_id,
    due_on,
    expectation,
    kkc,
    earliest: date | None,
) -> dict[str, object]:
    """An action's fields checked for ``cycle`` (messages into ``errors``), for every writer of
    actions (this module, the live meeting's)."""
    text = check_text(errors, "text", text, MAX_ACTION, required=True)
    owner = _parse_owner(errors, cycle, owner_id)
    due = parse_date(errors, "due_on", due_on)
    if due is not None and earliest is not None and due < earliest:
        errors["due_on"] = _("Fristen kan ikke ligge før i dag.")
    return {
        "text": text,
        "owner_id": owner,
        "due_on": due,
        "expectation": parse_choice(errors, "expectation", Expectation, expectation),
        "kkc": parse_choice(errors, "kkc", KKC, kkc),
    }


def _parse_owner(errors: dict[str, str], cycle: Cycle, value: object) -> int | None:
    if value in (None, ""):
        errors["owner_id"] = _("Vælg en ansvarlig.")
        return None
    owner_id = read(errors, "owner_id", value, Id)
    if owner_id is not None and owner_id not in {u.id for u in team_members(cycle)}:
        errors["owner_id"] = _("Den ansvarlige skal være med i teamet.")
    return owner_id


def parse_id(value: object) -> int | None:
    """An id (``web.inputs.Id``), or ``None`` for anything else."""
    return read({}, "id", value, Id)


def parse_date(errors: dict[str, str], field: str, value: object) -> date | None:
    """A required date in the documented range (``web.inputs.Day``)."""
    if isinstance(value, datetime):
        value = value.date()
    return read(errors, field, value, Day, required=True)


def parse_choice(
    errors: dict[str, str], field: str, enum_cls: type[E], value: object, *, required: bool = False
) -> E | None:
    return read(errors, field, value, enum_cls, required=required)
