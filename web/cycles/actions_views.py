"""Pages for the agreed actions: the cycle's list, the leader's form, status and follow-up."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from web.cycles import actions as services
from web.cycles.labels import ACTION_STATUS_LABELS, PHASE_LABELS
from web.cycles.models import MAX_ACTION, Action, Cycle, Phase
from web.cycles.services.common import FORM, InputError
from web.cycles.vocabulary import KKC, Expectation
from web.extensions import db
from web.permissions import Permission, can, require
from web.tenancy import get_or_404

bp = Blueprint("actions", __name__, template_folder="templates")

FIELDS = ("text", "owner_id", "due_on", "expectation", "kkc")


@bp.app_context_processor
def _cycle_helpers() -> dict[str, object]:
    """Labels and links the pages of actions and dashboards share."""
    return {
        "status_labels": {s.value: str(label) for s, label in ACTION_STATUS_LABELS.items()},
        "phase_label": lambda phase: str(PHASE_LABELS[Phase(phase)]),
        "cycle_url": cycle_url,
    }


def cycle_url(cycle_id: int, endpoint: str = "t.cycles.detail") -> str | None:
    """A page of the cycle (its own by default), if the app has that page."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, cycle_id=cycle_id)


@bp.get("/actions/mine")
def mine():
    user = g.get("user")
    if user is None:
        abort(401)
    return render_template("actions/mine.html", actions=services.actions_owned_by(user),
                           today=services.today())


@bp.get("/cycles/<int:cycle_id>/actions")
def for_cycle(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    require(g.get("user"), Permission.VIEW_TEAM_ANSWERS, cycle)
    return render_template(
        "actions/cycle.html", cycle=cycle, actions=services.actions_for_cycle(cycle),
        today=services.today(), may_manage=can(g.user, Permission.MANAGE_CYCLE, cycle))


@bp.route("/cycles/<int:cycle_id>/actions/new", methods=["GET", "POST"])
def new(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    require(g.get("user"), Permission.MANAGE_CYCLE, cycle)
    if cycle.phase not in services.RECORD_PHASES:
        flash(_("Handlinger aftales i aftalefasen."), "error")
        return redirect(url_for(".for_cycle", cycle_id=cycle.id))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.create_action(g.user, cycle, **_form_values())
        except InputError as exc:
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("Handlingen er gemt."), "success")
            return redirect(url_for(".for_cycle", cycle_id=cycle.id))
    values = request.form if request.method == "POST" else {}
    return _render_form(cycle, None, values, errors)


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"])
def edit(action_id: int):
    action = get_or_404(Action, action_id)
    require(g.get("user"), Permission.MANAGE_CYCLE, action.cycle)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.update_action(g.user, action, **_form_values())
        except InputError as exc:
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("Handlingen er gemt."), "success")
            return redirect(url_for(".for_cycle", cycle_id=action.cycle_id))
    values = request.form if request.method == "POST" else {
        "text": action.text, "owner_id": action.owner_id, "due_on": action.due_on.isoformat(),
        "expectation": action.expectation or "", "kkc": action.kkc or ""}
    return _render_form(action.cycle, action, values, errors)


@bp.post("/actions/<int:action_id>/delete")
def delete(action_id: int):
    action = get_or_404(Action, action_id)
    require(g.get("user"), Permission.MANAGE_CYCLE, action.cycle)
    cycle_id = action.cycle_id
    try:
        services.delete_action(g.user, action)
    except InputError as exc:
        flash(exc.errors[FORM], "error")
    else:
        db.session.commit()
        flash(_("Handlingen er slettet."), "success")
    return redirect(url_for(".for_cycle", cycle_id=cycle_id))


@bp.post("/actions/<int:action_id>/status")
def status(action_id: int):
    action = get_or_404(Action, action_id)
    require(g.get("user"), Permission.UPDATE_ACTION, action)
    try:
        services.set_status(g.user, action, request.form.get("status"))
    except InputError as exc:
        flash(next(iter(exc.errors.values())), "error")
    else:
        db.session.commit()
        flash(_("Status er opdateret: %(status)s.", status=ACTION_STATUS_LABELS[action.status]),
              "success")
    return redirect(_back(action))


@bp.route("/actions/<int:action_id>/follow-up", methods=["GET", "POST"])
def follow_up(action_id: int):
    action = get_or_404(Action, action_id)
    require(g.get("user"), Permission.RECORD_FOLLOW_UP, action)
    if action.cycle.phase not in services.FOLLOW_UP_PHASES:
        flash(_("Handlingerne følges op i opfølgningsfasen."), "error")
        return redirect(url_for(".for_cycle", cycle_id=action.cycle_id))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.record_follow_up(g.user, action, outcome=request.form.get("outcome"),
                                      learning=request.form.get("learning"))
        except InputError as exc:
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("Opfølgningen er gemt."), "success")
            return redirect(url_for(".for_cycle", cycle_id=action.cycle_id))
    values = request.form if request.method == "POST" else {
        "outcome": action.outcome or "", "learning": action.learning or ""}
    return render_template("actions/follow_up.html", action=action, values=values,
                           errors=errors, max_length=services.MAX_FOLLOW_UP), \
        422 if errors else 200


# --- helpers ----------------------------------------------------------------------------------

def _form_values() -> dict[str, object]:
    return {name: request.form.get(name) for name in FIELDS}


def _render_form(cycle: Cycle, action: Action | None, values, errors: dict[str, str]):
    return render_template(
        "actions/form.html", cycle=cycle, action=action, values=values, errors=errors,
        owner_options=[(u.id, u.display_name) for u in services.team_members(cycle)],
        expectation_options=[(e.value, e.label) for e in Expectation],
        kkc_options=[(k.value, k.label) for k in KKC],
        max_length=MAX_ACTION,
    ), 422 if errors else 200


def _back(action: Action) -> str:
    """Back to where the status form was: "my actions", or the cycle's list."""
    if request.form.get("next") == "mine":
        return url_for(".mine")
    if request.form.get("next") == "home":
        return url_for("t.tenants.home")
    return url_for(".for_cycle", cycle_id=action.cycle_id)
