"""Pages for the agreed actions: the cycle's list, the leader's form, status and follow-up."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _

from web.auth.session import require_user
from web.cycles.labels import ACTION_STATUS_LABELS, PHASE_LABELS
from web.cycles.models import MAX_ACTION, Action, Cycle, Phase
from web.cycles.services import actions as services
from web.errors import FORM, Refusal
from web.extensions import db
from web.forms import form_page, saved
from web.i18n import locale_name
from web.permissions import Permission, can, require
from web.tenancy import get_or_404
from web.vocabulary import KKC, Expectation

bp = Blueprint("actions", "web.cycles", template_folder="templates")

FIELDS = ("text", "owner_id", "due_on", "expectation", "kkc")


@bp.app_context_processor
def _cycle_helpers() -> dict[str, object]:
    """Labels and links the pages of actions and dashboards share (every page's context: the
    labels are translated when a page uses them, once per language and process)."""
    return {
        "status_labels": _StatusLabels(),
        "phase_label": lambda phase: _phase_labels(locale_name())[Phase(phase)],
        "cycle_url": cycle_url,
        "cycle_links": cycle_links,
        "row_links": row_links,
    }


class _StatusLabels(Mapping):
    """{status value: label} in the page's language."""

    def __getitem__(self, status: str) -> str:
        return _status_labels(locale_name())[status]

    def __iter__(self) -> Iterator[str]:
        return iter(_status_labels(locale_name()))

    def __len__(self) -> int:
        return len(ACTION_STATUS_LABELS)


@functools.cache
def _status_labels(locale: str) -> dict[str, str]:
    with force_locale(locale):
        return {s.value: str(label) for s, label in ACTION_STATUS_LABELS.items()}


@functools.cache
def _phase_labels(locale: str) -> dict[Phase, str]:
    with force_locale(locale):
        return {phase: str(label) for phase, label in PHASE_LABELS.items()}


def cycle_url(cycle_id: int, endpoint: str = "t.cycles.detail") -> str | None:
    """A page of the cycle (its own by default), if the app has that page."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, cycle_id=cycle_id)


_SENTINEL_ID = 2_147_483_647  # the largest id; no URL of ours holds it otherwise


def cycle_links(endpoint: str = "t.cycles.detail") -> Callable[[int], str] | None:
    """``cycle id -> URL`` of one page of cycles, for a table with a link per row: the URL is
    built once (``url_for``, ~10 µs) and each row's id put in its place."""
    pattern = cycle_url(_SENTINEL_ID, endpoint)
    return None if pattern is None else _filled(pattern)


def row_links(endpoint: str, key: str) -> Callable[[int], str]:
    """``id -> URL`` of ``endpoint`` whose one argument ``key`` is a row's id (an action's, a
    unit's, an example's), built once per table as ``cycle_links``."""
    return _filled(url_for(endpoint, **{key: _SENTINEL_ID}))


def _filled(pattern: str) -> Callable[[int], str]:
    before, after = pattern.split(str(_SENTINEL_ID), 1)
    return lambda row_id: f"{before}{int(row_id)}{after}"


@bp.get("/actions/mine")
def mine():
    user = require_user()
    return render_template(
        "actions/mine.html", actions=services.actions_owned_by(user), today=services.today()
    )


@bp.get("/cycles/<int:cycle_id>/actions")
def for_cycle(cycle_id: int):
    user = require_user()
    cycle = get_or_404(Cycle, cycle_id)
    require(user, Permission.VIEW_TEAM_ANSWERS, cycle)
    return render_template(
        "actions/cycle.html",
        cycle=cycle,
        actions=services.actions_for_cycle(cycle),
        today=services.today(),
        may_manage=can(user, Permission.MANAGE_CYCLE, cycle),
    )


@bp.route("/cycles/<int:cycle_id>/actions/new", methods=["GET", "POST"])
def new(cycle_id: int):
    user = require_user()
    cycle = get_or_404(Cycle, cycle_id)
    require(user, Permission.MANAGE_CYCLE, cycle)
    if cycle.phase not in services.RECORD_PHASES:
        flash(_("Handlinger aftales i aftalefasen."), "error")
        return redirect(url_for(".for_cycle", cycle_id=cycle.id))
    if request.method == "GET":
        return _render_form(cycle, None, {})
    try:
        services.create_action(user, cycle, **_form_values())
    except Refusal as exc:
        return _render_form(cycle, None, request.form, exc.errors)
    return saved(_("Handlingen er gemt."), url_for(".for_cycle", cycle_id=cycle.id))


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"])
def edit(action_id: int):
    user = require_user()
    action = get_or_404(Action, action_id)
    require(user, Permission.MANAGE_CYCLE, action.cycle)
    if request.method == "GET":
        return _render_form(
            action.cycle,
            action,
            {
                "text": action.text,
                "owner_id": action.owner_id,
                "due_on": action.due_on.isoformat(),
                "expectation": action.expectation or "",
                "kkc": action.kkc or "",
            },
        )
    try:
        services.update_action(user, action, **_form_values())
    except Refusal as exc:
        return _render_form(action.cycle, action, request.form, exc.errors)
    return saved(_("Handlingen er gemt."), url_for(".for_cycle", cycle_id=action.cycle_id))


@bp.post("/actions/<int:action_id>/delete")
def delete(action_id: int):
    user = require_user()
    action = get_or_404(Action, action_id)
    require(user, Permission.MANAGE_CYCLE, action.cycle)
    back = url_for(".for_cycle", cycle_id=action.cycle_id)
    try:
        services.delete_action(user, action)
    except Refusal as exc:
        return _refused(exc.errors[FORM], back)
    return saved(_("Handlingen er slettet."), back)


@bp.post("/actions/<int:action_id>/status")
def status(action_id: int):
    user = require_user()
    action = get_or_404(Action, action_id)
    require(user, Permission.UPDATE_ACTION, action)
    try:
        services.set_status(user, action, request.form.get("status"))
    except Refusal as exc:
        return _refused(next(iter(exc.errors.values())), _back(action))
    return saved(
        _("Status er opdateret: %(status)s.", status=ACTION_STATUS_LABELS[action.status]),
        _back(action),
    )


@bp.route("/actions/<int:action_id>/follow-up", methods=["GET", "POST"])
def follow_up(action_id: int):
    user = require_user()
    action = get_or_404(Action, action_id)
    require(user, Permission.RECORD_FOLLOW_UP, action)
    if action.cycle.phase not in services.FOLLOW_UP_PHASES:
        flash(_("Handlingerne følges op i opfølgningsfasen."), "error")
        return redirect(url_for(".for_cycle", cycle_id=action.cycle_id))
    if request.method == "GET":
        return _render_follow_up(
            action, {"outcome": action.outcome or "", "learning": action.learning or ""}
        )
    try:
        services.record_follow_up(
            user, action, outcome=request.form.get("outcome"), learning=request.form.get("learning")
        )
    except Refusal as exc:
        return _render_follow_up(action, request.form, exc.errors)
    return saved(_("Opfølgningen er gemt."), url_for(".for_cycle", cycle_id=action.cycle_id))


# --- helpers ----------------------------------------------------------------------------------


def _form_values() -> dict[str, object]:
    return {name: request.form.get(name) for name in FIELDS}


def _render_form(cycle: Cycle, action: Action | None, values, errors: dict[str, str] | None = None):
    return form_page(
        "actions/form.html",
        errors,
        cycle=cycle,
        action=action,
        values=values,
        owner_options=[(u.id, u.display_name) for u in services.team_members(cycle)],
        expectation_options=[(e.value, e.label) for e in Expectation],
        kkc_options=[(k.value, k.label) for k in KKC],
        max_length=MAX_ACTION,
    )


def _render_follow_up(action: Action, values, errors: dict[str, str] | None = None):
    return form_page(
        "actions/follow_up.html",
        errors,
        action=action,
        values=values,
        max_length=services.MAX_FOLLOW_UP,
    )


def _refused(message: str, back: str):
    """A button's POST the service refused (no form to show again): say why and go back."""
    db.session.rollback()
    flash(message, "error")
    return redirect(back)


def _back(action: Action) -> str:
    """Back to where the status form was: "my actions", or the cycle's list."""
    if request.form.get("next") == "mine":
        return url_for(".mine")
    if request.form.get("next") == "home":
        return url_for("t.tenants.home")
    return url_for(".for_cycle", cycle_id=action.cycle_id)
