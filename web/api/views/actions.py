"""Agreed actions: a cycle's list, recording one, its status, its follow-up; the caller's own."""

from __future__ import annotations

from web.api import bp, present
from web.api import schemas as s
from web.api.routing import operation
from web.cycles.models import Action, Cycle
from web.cycles.services import actions as services
from web.permissions import Permission, require
from web.tenancy import get_or_404
from web.users.models import User


def _visible_action(user: User, action_id: int, **_checked: object) -> Action:
    """The action, or 404 when the caller may not see its cycle (nor owns it)."""
    action = get_or_404(Action, action_id)
    if action.owner_id != user.id:
        # An action has no phase of its own, so ``require`` would say 403; its cycle says 404.
        require(user, Permission.VIEW_CYCLE, action.cycle)
    return action


@operation(
    bp,
    "GET",
    "/cycles/<int:cycle_id>/actions",
    tag="actions",
    summary="The cycle's actions",
    description="By due date.",
    permission=Permission.VIEW_TEAM_ANSWERS,
    load=Cycle,
    response=s.ActionList,
)
def cycle_actions(user: User, cycle: Cycle) -> s.ActionList:
    today = services.today()
    return s.ActionList(items=[present.action(a, today) for a in services.actions_for_cycle(cycle)])


@operation(
    bp,
    "GET",
    "/actions/mine",
    tag="actions",
    summary="The caller's actions",
    description="Open ones first, by due date.",
    response=s.ActionList,
)
def my_actions(user: User) -> s.ActionList:
    today = services.today()
    return s.ActionList(items=[present.action(a, today) for a in services.actions_owned_by(user)])


@operation(
    bp,
    "POST",
    "/cycles/<int:cycle_id>/actions",
    tag="actions",
    summary="Record an agreed action",
    description="In the agreements phase (409 otherwise). The owner must be a member of "
    "the cycle's team; the due date may not lie in the past.",
    permission=Permission.MANAGE_CYCLE,
    load=Cycle,
    body=s.ActionCreate,
    response=s.ActionOut,
    status=201,
    conflicts=True,
)
def create_action(user: User, cycle: Cycle, body: s.ActionCreate) -> s.ActionOut:
    action = services.create_action(
        user,
        cycle,
        text=body.text,
        owner_id=body.owner_id,
        due_on=body.due_on,
        expectation=body.expectation,
        kkc=body.kkc,
    )
    return present.action(action, services.today())


@operation(
    bp,
    "PUT",
    "/actions/<int:action_id>/status",
    tag="actions",
    summary="Set an action's status",
    description="Its owner or the cycle's leader; in the agreements and follow-up phases "
    "(409 otherwise).",
    permission=Permission.UPDATE_ACTION,
    load=_visible_action,
    body=s.StatusPut,
    response=s.ActionOut,
    conflicts=True,
)
def set_status(user: User, action: Action, body: s.StatusPut) -> s.ActionOut:
    services.set_status(user, action, body.status)
    return present.action(action, services.today())


@operation(
    bp,
    "PUT",
    "/actions/<int:action_id>/follow-up",
    tag="actions",
    summary="Record what happened and what was learned",
    description="The team, in the follow-up phase (409 otherwise).",
    permission=Permission.RECORD_FOLLOW_UP,
    load=_visible_action,
    body=s.FollowUpPut,
    response=s.ActionOut,
    conflicts=True,
)
def record_follow_up(user: User, action: Action, body: s.FollowUpPut) -> s.ActionOut:
    services.record_follow_up(user, action, outcome=body.outcome, learning=body.learning)
    return present.action(action, services.today())
