"""The tenant admin's pages. Every page requires ``Permission.ADMINISTER``."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web import navigation
from web.admin import services
from web.admin.forms import PlaceUserForm, SamlSettingsForm, SsoSettingsForm
from web.audit import present
from web.audit.services import AuditFilter, search
from web.audit.services import actors as audit_actors
from web.auth.models import ROLE_KEYS, UnitClaimKind
from web.auth.provisioning import unplaced_users
from web.auth.services import (
    SettingsInput,
    current_settings,
    parse_values,
    update_settings,
)
from web.errors import InputError
from web.forms import form_page, invalid, saved
from web.inputs import Day, Id, read
from web.orgs.models import MembershipRole, OrgUnit
from web.permissions import Permission, require
from web.tablefilters import EXPORT_MAX, OneOf, export, read_filters
from web.tenancy import get_or_404
from web.users.models import User

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
AUDIT_PAGE = 100


@bp.before_request
def _require_admin() -> None:
    require(g.get("user"), Permission.ADMINISTER)


@bp.get("/")
def index():
    return render_template("admin/index.html", admin_items=navigation.admin_items(),
                           settings=current_settings(), unplaced=len(unplaced_users()))


@bp.route("/sso", methods=["GET", "POST"])
def sso():
    settings = current_settings()
    form = SsoSettingsForm(obj=settings) if request.method == "GET" and settings \
        else SsoSettingsForm()
    if request.method == "GET" and settings:
        for key in ROLE_KEYS:
            getattr(form, f"{key}_values").data = "\n".join(settings.values_for(key))
        form.unit_claim_kind.data = settings.unit_claim_kind.value
    if form.validate_on_submit():
        data = SettingsInput(
            issuer=form.issuer.data, discovery_url=form.discovery_url.data,
            client_id=form.client_id.data, client_secret=form.client_secret.data or None,
            scopes=form.scopes.data, email_claim=form.email_claim.data,
            name_claim=form.name_claim.data, unit_claim=form.unit_claim.data,
            unit_claim_kind=UnitClaimKind(form.unit_claim_kind.data),
            roles_claim=form.roles_claim.data,
            role_values={key: parse_values(getattr(form, f"{key}_values").data)
                         for key in ROLE_KEYS},
            is_enabled=form.is_enabled.data,
        )
        try:
            update_settings(data, actor=g.user)
        except InputError as exc:
            for name, message in exc.errors.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
        else:
            return saved(_("Login-opsætningen er gemt."), url_for(".sso"))
    if request.method == "POST":  # refused by the form or by update_settings
        return invalid("admin/sso.html", form.errors, form=form, settings=settings)
    return form_page("admin/sso.html", form=form, settings=settings)


@bp.route("/saml", methods=["GET", "POST"])
def saml():
    from web.auth.saml import keys
    from web.auth.saml.services import PRESETS, SamlInput, update_saml_settings

    settings = current_settings()
    saml_settings = settings if settings and settings.is_saml else None
    form = SamlSettingsForm()
    if request.method == "GET" and saml_settings:
        _fill_saml_form(form, saml_settings)
    if form.validate_on_submit():
        preset = PRESETS.get(form.preset.data or "", {})
        given = {key: parse_values(getattr(form, f"{key}_values").data) for key in ROLE_KEYS}
        data = SamlInput(
            metadata_url=form.metadata_url.data or None,
            metadata_xml=form.metadata_xml.data or None,
            name_attribute=form.name_attribute.data or preset.get("name_claim") or "",
            email_attribute=form.email_attribute.data or preset.get("email_claim") or "",
            unit_attribute=form.unit_attribute.data or preset.get("unit_claim"),
            unit_kind=UnitClaimKind(form.unit_kind.data),
            roles_attribute=form.roles_attribute.data or preset.get("roles_claim"),
            privileges_attribute=form.privileges_attribute.data
            or preset.get("privileges_attribute"),
            role_values={key: given[key] or preset.get("role_values", {}).get(key, [])
                         for key in ROLE_KEYS},
            required_loa=form.required_loa.data or "Substantial",
            is_enabled=form.is_enabled.data)
        try:
            update_saml_settings(data, actor=g.user)
            if not keys.published():
                keys.create(f"Aktørskab {g.tenant.slug}", actor=g.user)
        except InputError as exc:
            for name, message in exc.errors.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
        else:
            return saved(_("SAML-opsætningen er gemt."), url_for(".saml"))
    from web.auth.saml.sp import endpoints

    context = {"form": form, "settings": saml_settings, "sp_keys": keys.published(),
               "sp": endpoints()}
    if request.method == "POST":
        return invalid("admin/saml.html", form.errors, **context)
    return form_page("admin/saml.html", **context)


def _fill_saml_form(form: SamlSettingsForm, settings) -> None:
    form.metadata_url.data = settings.saml_metadata_url
    form.name_attribute.data = settings.name_claim
    form.email_attribute.data = settings.email_claim
    form.unit_attribute.data = settings.unit_claim
    form.unit_kind.data = settings.unit_claim_kind.value
    form.roles_attribute.data = settings.roles_claim
    form.privileges_attribute.data = settings.saml_privileges_attribute
    form.required_loa.data = settings.saml_required_loa
    form.is_enabled.data = settings.is_enabled
    for key in ROLE_KEYS:
        getattr(form, f"{key}_values").data = "\n".join(settings.values_for(key))


@bp.get("/users/unplaced")
def unplaced():
    users = unplaced_users()
    units = services.units_by_path()
    forms = {}
    for user in users:
        form = PlaceUserForm(prefix=f"u{user.id}")
        form.unit_id.choices = units
        forms[user.id] = form
    return render_template("admin/unplaced.html", users=users, forms=forms,
                           has_units=bool(units))


@bp.post("/users/<int:user_id>/place")
def place(user_id: int):
    user = get_or_404(User, user_id)
    form = PlaceUserForm(prefix=f"u{user.id}")
    form.unit_id.choices = services.units_by_path()
    if not form.validate_on_submit():
        flash(_("Vælg en enhed."), "error")
        return redirect(url_for(".unplaced"))
    unit = get_or_404(OrgUnit, form.unit_id.data)
    services.place_user(user, unit, MembershipRole(form.role.data), actor=g.user)
    return saved(_("%(name)s er placeret i %(unit)s.", name=user.display_name, unit=unit.name),
                 url_for(".unplaced"))


AUDIT_FILTERS = {"person": Id, "event": OneOf(lambda: present.EVENT_LABELS,
                                                lambda: _("Vælg en af hændelserne på listen.")),
                 "since": Day, "until": Day}


@bp.get("/audit")
def audit():
    """The audit log: filters by person, kind and days, pages of AUDIT_PAGE, CSV/XLSX export."""
    flt = read_filters(request.args, AUDIT_FILTERS)
    audit_filter = AuditFilter(actor_id=flt["person"], event=flt["event"],
                               since=flt["since"], until=flt["until"])
    context = {"args": request.args, "kinds": _kinds(),
               "people": [(p.id, p.display_name) for p in audit_actors()],
               "describe": present.describe, "event_label": present.event_label,
               "who": present.who}
    if flt.errors:
        return invalid("admin/audit.html", flt.errors, entries=[], older=None, **context)
    if flt.fmt:
        entries = search(audit_filter, EXPORT_MAX)
        header = [_("Tidspunkt"), _("Hændelse"), _("Hvem"), _("Detaljer"), _("Fra"),
                  _("Hændelseskode")]
        rows = [(e.created_at, present.event_label(e.event), present.who(e),
                 present.describe(e), e.ip, e.event) for e in entries]
        return export(flt, "revisionslog", header, rows, sheet=_("Revisionslog"),
                      event="audit.exported")
    before = read({}, "before", request.args.get("before", ""), Id)
    entries = search(audit_filter, AUDIT_PAGE, before_id=before)
    older = entries[-1].id if len(entries) == AUDIT_PAGE else None
    return render_template("admin/audit.html", errors={}, entries=entries, older=older,
                           link_args=flt.link_args(), **context)


def _kinds() -> list[tuple[str, str]]:
    return sorted(((code, str(label)) for code, label in present.EVENT_LABELS.items()),
                  key=lambda kind: kind[1])
