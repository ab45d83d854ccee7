"""The tenant admin's provisioning page: last import and sync, SCIM tokens, group mapping."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.admin.services import units_by_path
from web.auth.provisioning import unplaced_users
from web.errors import InputError, Refusal
from web.extensions import db
from web.forms import saved
from web.orgs.models import OrgUnit, ProvisioningSource
from web.orgs.services import last_runs
from web.permissions import Permission, require
from web.scim import services, tokens
from web.scim.models import MAX_TOKEN_NAME, GroupTarget, ScimGroup, ScimToken
from web.tenancy import get_or_404
from web.users.models import TenantRoleName

bp = Blueprint(
    "provisioning", __name__, url_prefix="/admin/provisioning", template_folder="templates"
)


@bp.before_request
def _require_admin() -> None:
    require(g.get("user"), Permission.ADMINISTER)


# i18n: the counters of an import's or a sync's summary, as the provisioning page shows them.
SUMMARY_LABELS = {
    "units_new": _l("Nye enheder"),
    "units_changed": _l("Ændrede enheder"),
    "units_unchanged": _l("Uændrede enheder"),
    "units_archived": _l("Arkiverede enheder"),
    "people_new": _l("Nye personer"),
    "people_changed": _l("Ændrede personer"),
    "people_unchanged": _l("Uændrede personer"),
    "people_leaving": _l("Personer, der har forladt organisationen"),
    "memberships_added": _l("Nye medlemskaber"),
    "memberships_ended": _l("Ophørte medlemskaber"),
    "memberships_unchanged": _l("Uændrede medlemskaber"),
    "created": _l("Oprettet"),
    "replaced": _l("Erstattet"),
    "patched": _l("Ændret"),
    "deleted": _l("Slettet"),
    "refused": _l("Afvist"),
}

ROLE_LABELS = {
    TenantRoleName.HR: "HR",
    TenantRoleName.HOVEDUDVALG: "Hovedudvalg",
    TenantRoleName.ADMIN: "Administrator",
}


def _target_options() -> list[tuple[str, str]]:
    units = units_by_path()
    options = [("none", _("Giver intet (endnu)"))]
    options += [(f"unit:{c.value}", _("Medlem af %(unit)s", unit=c.label)) for c in units]
    options += [(f"leader:{c.value}", _("Leder af %(unit)s", unit=c.label)) for c in units]
    options += [
        (f"role:{r.value}", _("Rollen %(role)s", role=label)) for r, label in ROLE_LABELS.items()
    ]
    return options


def _current(group: ScimGroup) -> str:
    if group.target in (GroupTarget.UNIT, GroupTarget.LEADER) and group.unit_id:
        return f"{group.target.value}:{group.unit_id}"
    if group.target == GroupTarget.ROLE and group.role:
        return f"role:{group.role.value}"
    return "none"


def _page(created=None, errors=None, status=200):
    runs = last_runs()
    body = render_template(
        "scim/admin.html",
        csv_run=runs.get(ProvisioningSource.CSV),
        scim_run=runs.get(ProvisioningSource.SCIM),
        unplaced=unplaced_users(),
        tokens=tokens.tokens(),
        created=created,
        errors=errors or {},
        groups=services.groups(),
        options=_target_options(),
        current=_current,
        max_name=MAX_TOKEN_NAME,
        summary_labels=SUMMARY_LABELS,
        scim_base=url_for("t.scim.endpoint", path="", _external=True).rstrip("/"),
    )
    return body, status, {"Cache-Control": "no-store"}


@bp.get("/")
def index():
    return _page()


@bp.post("/tokens")
def create_token():
    try:
        created = tokens.create(request.form.get("name", ""), actor=g.user)
    except Refusal as exc:
        db.session.rollback()
        return _page(errors=exc.errors, status=422)
    db.session.commit()
    return _page(created=created, status=201)


@bp.post("/tokens/<int:scim_token_id>/revoke")
def revoke_token(scim_token_id: int):
    token = get_or_404(ScimToken, scim_token_id)
    tokens.revoke(token, actor=g.user)
    return saved(_("SCIM-nøglen »%(name)s« er tilbagekaldt.", name=token.name), url_for(".index"))


@bp.post("/groups/<int:group_id>")
def map_group(group_id: int):
    group = get_or_404(ScimGroup, group_id)
    kind, _sep, value = request.form.get("target", "").partition(":")
    try:
        target = GroupTarget(kind)
        unit = role = None
        if target in (GroupTarget.UNIT, GroupTarget.LEADER):
            unit = db.session.get(OrgUnit, int(value)) if value.isdigit() else None
            if unit is None or unit.archived_at is not None:
                raise InputError({"target": _("Vælg den enhed, gruppen svarer til.")})
        elif target == GroupTarget.ROLE:
            role = TenantRoleName(value)
        services.set_target(group, target, unit, role, actor=g.user)
    except ValueError as exc:  # an unknown choice, or the service's InputError
        db.session.rollback()
        errors = exc.errors if isinstance(exc, Refusal) else {"target": _("Ugyldigt valg.")}
        return _page(errors={f"group-{group.id}": errors.get("target", "")}, status=422)
    return saved(_("Gruppen »%(name)s« er opdateret.", name=group.display_name), url_for(".index"))
