"""The admin's Teams page: ``/t/<slug>/admin/teams`` (``Permission.ADMINISTER``)."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _

from web.admin.services import units_by_path
from web.errors import InputError
from web.forms import invalid, saved
from web.inputs import Id, read
from web.orgs.models import OrgUnit
from web.permissions import Permission, require
from web.teams import services
from web.teams.models import TeamsWebhook
from web.tenancy import get_or_404

bp = Blueprint("teams", __name__, url_prefix="/admin/teams", template_folder="templates")


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
