"""Cycles: the ones the caller may see, one of them, starting one, moving its phase."""

from __future__ import annotations

from flask_babel import gettext as _

from web.api import bp, present
from web.api import schemas as s
from web.api.errors import validation_error
from web.api.routing import operation
from web.api.views import find
from web.cycles.models import Cycle, DialogueTemplate
from web.cycles.services import cycles as cycle_service
from web.cycles.services import templates as template_service
from web.cycles.services.common import CycleDates
from web.orgs.models import OrgUnit
from web.permissions import Permission
from web.tenancy import get_or_404
from web.users.models import User

PER_PAGE = 50
DATE_FIELDS = {"meeting_on": "meeting_at"}


@operation(
    bp,
    "GET",
    "/cycles",
    tag="cycles",
    summary="The cycles the caller may see",
    description="Newest first, 50 per page. HR and admins see every cycle of the "
    "tenant; leaders those of the units they lead and below; members those "
    "they take part in.",
    permission=Permission.VIEW_CYCLE,
    rows=True,
    query=s.CycleListQuery,
    response=s.CyclePage,
)
def list_cycles(user: User, query: s.CycleListQuery) -> s.CyclePage:
    rows, more = cycle_service.visible_cycles(
        user, phase=query.phase, page=query.page, per_page=PER_PAGE
    )
    return s.CyclePage(
        items=[present.cycle(c) for c in rows], next_page=query.page + 1 if more else None
    )


@operation(
    bp,
    "GET",
    "/cycles/<int:cycle_id>",
    tag="cycles",
    summary="One cycle",
    description="With its prompts, the phase moves it allows and what the caller may do in it.",
    permission=Permission.VIEW_CYCLE,
    load=Cycle,
    response=s.CycleDetailOut,
)
def get_cycle(user: User, cycle: Cycle) -> s.CycleDetailOut:
    return present.cycle_detail(cycle, user)


@operation(
    bp,
    "POST",
    "/cycles",
    tag="cycles",
    summary="Start a cycle for a unit",
    description="In the preparation phase, led by the caller, with the template's "
    "prompts copied in. Dates in order: preparation start ≤ end ≤ meeting "
    "day ≤ follow-up. 409 while the unit has a cycle that is not closed.",
    permission=Permission.START_CYCLE,
    load=lambda user, body: body.unit_id,
    body=s.CycleCreate,
    response=s.CycleDetailOut,
    status=201,
    rename=DATE_FIELDS,
    conflicts=True,
)
def create_cycle(user: User, unit_id: int, body: s.CycleCreate) -> s.CycleDetailOut:
    unit = get_or_404(OrgUnit, unit_id)
    if body.template_id is None:
        template = template_service.ensure_default_template()
    else:
        template = find(DialogueTemplate, body.template_id)
        if template is None:
            raise validation_error({"template_id": _("Vælg en skabelon.")})
    dates = CycleDates(
        body.preparation_starts_on,
        body.preparation_ends_on,
        body.meeting_at,
        body.meeting_place,
        body.follow_up_on,
    )
    cycle = cycle_service.start_cycle(
        user, unit, template, dates, include_subunits=body.include_subunits
    )
    return present.cycle_detail(cycle, user)


@operation(
    bp,
    "POST",
    "/cycles/<int:cycle_id>/phase",
    tag="cycles",
    summary="Move the cycle's phase",
    description="One step forward, or one step back with a reason. Entering the "
    "meeting seals the anonymous answers. A move the phase does not allow "
    "is 409.",
    permission=Permission.MANAGE_CYCLE,
    load=Cycle,
    body=s.PhaseMove,
    response=s.CycleDetailOut,
    conflicts=True,
)
def move_phase(user: User, cycle: Cycle, body: s.PhaseMove) -> s.CycleDetailOut:
    cycle_service.move_phase(user, cycle, body.to_phase, body.reason, expected_from=body.from_phase)
    return present.cycle_detail(cycle, user)
