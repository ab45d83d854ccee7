"""The Teams pages: the admin's ``/t/<slug>/admin/teams`` (``Permission.ADMINISTER``: the
tenant's channel and any unit's), and a unit's own ``/t/<slug>/units/<id>/teams``
(``Permission.MANAGE_UNIT_TEAMS``: its leaders, and admins). Both go through
``services.set_webhook``, which checks the address before anything is kept."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _

from web.admin.services import units_by_path
from web.errors import InputError
from web.forms import invalid, saved
from web.inputs import Id, read
from web.orgs.models import OrgUnit
from web.permissions import Permission, can, require
from web.teams import services
from web.teams.models import TeamsWebhook
from web.tenancy import get_or_404

bp = Blueprint("teams", __name__, url_prefix="/admin/teams", template_folder="templates")
unit_bp = Blueprint(
    "unit_teams", __name__, url_prefix="/units/<int:unit_id>/teams", template_folder="templates"
)


@bp.before_request
def _require_admin() -> None:
    require(g.get("user"), Permission.ADMINISTER)


def _context() -> dict:
    hooks = services.webhooks()
    return {
        "tenant_hook": next((h for h, unit in hooks if unit is None), None),
        "unit_hooks": [(h, unit) for h, unit in hooks if unit is not None],
        "units": units_by_path(),
        "form": request.form,
    }


@bp.get("/")
def index():
    return render_template("teams/index.html", errors={}, **_context())


@bp.post("/")
def set_tenant_webhook():
    context = _context()
    try:
        services.set_webhook(None, request.form.get("url"), g.user)
    except InputError as exc:
        return invalid("teams/index.html", exc, **context)
    return saved(_("Kommunens Teams-kanal er gemt."), url_for(".index"))


@bp.post("/units")
def set_unit_webhook():
    context = _context()
    errors: dict[str, str] = {}
    unit_id = read(errors, "unit_id", request.form.get("unit_id"), Id, required=True)
    if errors:
        return invalid("teams/index.html", {"unit_id": _("Vælg en enhed.")}, **context)
    unit = get_or_404(OrgUnit, unit_id)
    try:
        services.set_webhook(unit, request.form.get("unit_url"), g.user)
    except InputError as exc:
        return invalid("teams/index.html", {"unit_url": exc.errors["url"]}, **context)
    return saved(_("Teams-kanalen for %(unit)s er gemt.", unit=unit.name), url_for(".index"))


@bp.post("/<int:webhook_id>/delete")
def delete(webhook_id: int):
    hook = get_or_404(TeamsWebhook, webhook_id)
    services.remove_webhook(hook, g.user)
    return saved(_("Teams-kanalen er fjernet. Der sendes ikke mere dertil."), url_for(".index"))


# --- one unit's channel, for its leaders ----------------------------------------------------


def _unit(unit_id: int) -> OrgUnit:
    unit = get_or_404(OrgUnit, unit_id)
    require(g.get("user"), Permission.MANAGE_UNIT_TEAMS, unit.id)
    return unit


def _unit_context(unit: OrgUnit) -> dict:
    hooks = {u.id if u is not None else None: h for h, u in services.webhooks()}
    return {
        "unit": unit,
        "hook": hooks.get(unit.id),
        "tenant_hook": hooks.get(None),
        "is_admin": can(g.user, Permission.ADMINISTER),
        "form": request.form,
    }


@unit_bp.get("/")
def unit_page(unit_id: int):
    unit = _unit(unit_id)
    return render_template("teams/unit.html", errors={}, **_unit_context(unit))


@unit_bp.post("/")
def set_own_webhook(unit_id: int):
    unit = _unit(unit_id)
    context = _unit_context(unit)
    try:
        services.set_webhook(unit, request.form.get("url"), g.user)
    except InputError as exc:
        return invalid("teams/unit.html", exc, **context)
    return saved(
        _("Teams-kanalen for %(unit)s er gemt.", unit=unit.name),
        url_for(".unit_page", unit_id=unit.id),
    )


@unit_bp.post("/delete")
def delete_own_webhook(unit_id: int):
    unit = _unit(unit_id)
    hook = _unit_context(unit)["hook"]
    if hook is not None:
        services.remove_webhook(hook, g.user)
    return saved(
        _("Teams-kanalen er fjernet. Der sendes ikke mere dertil."),
        url_for(".unit_page", unit_id=unit.id),
    )
