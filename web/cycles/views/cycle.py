"""The cycle page, starting a cycle, changing its details, moving its phase, the next cycle."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone

from web.auth.session import require_user
from web.cycles import forms
from web.cycles.labels import PHASE_LABELS
from web.cycles.models import Cycle, DialogueTemplate, Phase
from web.cycles.services import actions as action_service
from web.cycles.services import cycles as cycle_service
from web.cycles.services import meeting
from web.cycles.services import templates as template_service
from web.cycles.services.campaigns import unit_tree
from web.cycles.views import bp
from web.errors import FORM, InputError, Refusal
from web.forms import form_page, invalid, saved
from web.models import today as local_today
from web.orgs.models import OrgUnit
from web.permissions import Permission, can, led_unit_ids, require
from web.tenancy import get_or_404
from web.users.models import User


@bp.get("/cycles/<int:cycle_id>")
def detail(cycle_id: int):
    user = require_user()
    cycle = get_or_404(Cycle, cycle_id)
    require(user, Permission.VIEW_CYCLE, cycle)
    return _render_detail(user, cycle)


def _render_detail(user: User, cycle: Cycle, errors: dict[str, str] | None = None):
    in_team = can(user, Permission.VIEW_TEAM_ANSWERS, cycle)
    manages = can(user, Permission.MANAGE_CYCLE, cycle)
    return form_page(
        "cycles/detail.html",
        errors,
        cycle=cycle,
        form=request.form,
        in_team=in_team,
        manages=manages,
        may_contribute=can(user, Permission.CONTRIBUTE, cycle),
        may_facilitate=can(user, Permission.FACILITATE, cycle),
        moves=cycle_service.allowed_moves(cycle),
        history=cycle_service.phase_history(cycle),
        members=cycle_service.member_count(cycle) if in_team else None,
        participants=cycle_service.participation_count(cycle) if in_team else None,
        conclusions=meeting.conclusions(cycle) if in_team else {},
        actions=action_service.actions_for_cycle(cycle) if in_team else [],
        next_cycle_id=cycle_service.next_cycle_id(cycle) if cycle.phase == Phase.CLOSED else None,
    )


@bp.post("/cycles/<int:cycle_id>/phase")
def move(cycle_id: int):
    """Move the phase. A move that cannot be undone (starting the meeting seals the answers)
    first shows what it does and asks to confirm it; the confirmed form posts ``confirmed=1``."""
    user = require_user()
    cycle = get_or_404(Cycle, cycle_id)
    require(user, Permission.MANAGE_CYCLE, cycle)
    to_phase = forms.parse_phase(request.form, "to_phase")
    today = local_today()
    notice = None
    try:
        if to_phase is None:
            raise InputError({FORM: _("Vælg, hvilken fase forløbet skal gå til.")})
        expected_from = forms.parse_phase(request.form, "from_phase")
        notice = cycle_service.move_notice(cycle, to_phase, today)
        if (
            notice.needs_confirmation
            and request.form.get("confirmed") != "1"
            and expected_from in (None, cycle.phase)
        ):
            return _render_confirm(cycle, to_phase, notice, today)
        cycle_service.move_phase(
            user,
            cycle,
            to_phase,
            request.form.get("reason"),
            expected_from=expected_from,
            today=today,
            shorten_preparation=request.form.get("shorten_preparation") == "1",
        )
    except Refusal as exc:
        if notice is not None and "shorten_preparation" in exc.errors:
            return _render_confirm(cycle, to_phase, notice, today, exc.errors)
        return _render_detail(user, cycle, exc.errors)
    return saved(
        _("Forløbet er nu i fasen %(phase)s.", phase=PHASE_LABELS[cycle.phase]),
        url_for(".detail", cycle_id=cycle.id),
    )


def _render_confirm(
    cycle: Cycle,
    to_phase: Phase,
    notice: cycle_service.MoveNotice,
    today,
    errors: dict[str, str] | None = None,
):
    return form_page(
        "cycles/confirm_move.html",
        errors,
        cycle=cycle,
        to_phase=to_phase,
        notice=notice,
        today=today,
        form=request.form,
        members=cycle_service.member_count(cycle),
        participants=cycle_service.participation_count(cycle),
    )


@bp.route("/cycles/new", methods=["GET", "POST"])
def new():
    user = require_user()
    led = led_unit_ids(user)
    if not led:
        require(user, Permission.START_CYCLE, None)  # 403: this page is for leaders
    units = unit_tree(led)
    templates = template_service.list_templates()
    if request.method == "GET":
        today = local_today()
        defaults = {
            "unit_id": str(units[0][0].id) if len(units) == 1 else "",
            "template_id": str(templates[0].id) if templates else "",
            "preparation_starts_on": today.isoformat(),
            "preparation_ends_on": (today + timedelta(days=14)).isoformat(),
        }
        return render_template(
            "cycles/new.html", form=defaults, errors={}, units=units, templates=templates
        )

    errors: dict[str, str] = {}
    unit = _chosen(OrgUnit, "unit_id", errors, _("Vælg en enhed."))
    if unit is not None:
        require(user, Permission.START_CYCLE, unit.id)
    template = _chosen(DialogueTemplate, "template_id", errors, _("Vælg en skabelon."))
    dates = forms.parse_dates(errors, request.form)
    if not errors:
        try:
            cycle = cycle_service.start_cycle(
                user,
                unit,
                template,
                dates,
                include_subunits=bool(request.form.get("include_subunits")),
            )
        except Refusal as exc:
            errors = exc.errors
    if errors:
        return invalid(
            "cycles/new.html", errors, form=request.form, units=units, templates=templates
        )
    return saved(
        _("Forløbet er startet. Teamet kan nu forberede sig."),
        url_for(".detail", cycle_id=cycle.id),
    )


@bp.route("/cycles/<int:cycle_id>/edit", methods=["GET", "POST"])
def edit(cycle_id: int):
    user = require_user()
    cycle = get_or_404(Cycle, cycle_id)
    require(user, Permission.MANAGE_CYCLE, cycle)
    candidates = [m for m in action_service.team_members(cycle) if m.id != cycle.leader_id]
    if request.method == "GET":
        return render_template(
            "cycles/edit.html", cycle=cycle, form=_current(cycle), errors={}, candidates=candidates
        )
    errors: dict[str, str] = {}
    dates = forms.parse_dates(errors, request.form)
    facilitator_id = forms.parse_int(request.form, "facilitator_id")
    if not errors:
        try:
            cycle_service.update_cycle(user, cycle, dates, facilitator_id)
        except Refusal as exc:
            errors = exc.errors
    if errors:
        return invalid(
            "cycles/edit.html", errors, cycle=cycle, form=request.form, candidates=candidates
        )
    return saved(_("Forløbet er opdateret."), url_for(".detail", cycle_id=cycle.id))


@bp.route("/cycles/<int:cycle_id>/next", methods=["GET", "POST"])
def next_cycle(cycle_id: int):
    user = require_user()
    cycle = get_or_404(Cycle, cycle_id)
    require(user, Permission.MANAGE_CYCLE, cycle)
    templates = template_service.list_templates()
    carried = action_service.actions_for_cycle(cycle, open_only=True)
    context = {"cycle": cycle, "templates": templates, "carried": carried}
    if request.method == "GET":
        today = local_today()
        template_id = (
            cycle.template_id
            if any(t.id == cycle.template_id for t in templates)
            else (templates[0].id if templates else "")
        )
        defaults = {
            "template_id": str(template_id),
            "preparation_starts_on": today.isoformat(),
            "preparation_ends_on": (today + timedelta(days=14)).isoformat(),
        }
        return render_template("cycles/next.html", form=defaults, errors={}, **context)

    errors: dict[str, str] = {}
    template = _chosen(DialogueTemplate, "template_id", errors, _("Vælg en skabelon."))
    dates = forms.parse_dates(errors, request.form)
    if not errors:
        try:
            new_cycle = cycle_service.start_next_cycle(user, cycle, template, dates)
        except Refusal as exc:
            errors = exc.errors
    if errors:
        return invalid("cycles/next.html", errors, form=request.form, **context)
    return saved(
        _(
            "Det næste forløb er startet med %(count)s åbne handlinger overført.",
            count=len(carried),
        ),
        url_for(".detail", cycle_id=new_cycle.id),
    )


def _chosen(model, field: str, errors: dict[str, str], missing: str):
    """The row picked in a select field (404 for a forged id of another tenant)."""
    ident = forms.parse_int(request.form, field)
    if ident is None:
        errors[field] = missing
        return None
    return get_or_404(model, ident)


def _current(cycle: Cycle) -> dict[str, str]:
    meeting_at = to_user_timezone(cycle.meeting_at) if cycle.meeting_at else None
    return {
        "preparation_starts_on": cycle.preparation_starts_on.isoformat(),
        "preparation_ends_on": cycle.preparation_ends_on.isoformat(),
        "meeting_on": meeting_at.date().isoformat() if meeting_at else "",
        "meeting_time": meeting_at.strftime("%H:%M") if meeting_at else "",
        "meeting_place": cycle.meeting_place or "",
        "follow_up_on": cycle.follow_up_on.isoformat() if cycle.follow_up_on else "",
        "facilitator_id": str(cycle.facilitator_id or ""),
    }
