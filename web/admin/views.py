"""The tenant admin's pages. Every page requires ``Permission.ADMINISTER``."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from web import navigation
from web.admin import services
from web.admin.forms import PlaceUserForm, SamlSettingsForm, SsoSettingsForm
from web.audit import present
from web.audit.services import AuditFilter, search
from web.audit.services import actors as audit_actors
from web.auth import flow, trial, versions
from web.auth.models import ROLE_KEYS, Protocol, SsoVersion, UnitClaimKind
from web.auth.provisioning import unplaced_users
from web.auth.services import (
    SettingsInput,
    current_settings,
    parse_values,
    update_settings,
)
from web.errors import InputError
from web.extensions import db
from web.forms import form_page, invalid, saved
from web.inputs import Day, Id, read
from web.orgs.models import MembershipRole, OrgUnit
from web.permissions import Permission, can, require
from web.tablefilters import EXPORT_MAX, OneOf, export, read_filters
from web.tenancy import get_or_404
from web.users.models import User

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
AUDIT_PAGE = 100
VERSIONS_SHOWN = 10


@bp.before_request
def _require_admin() -> None:
    require(g.get("user"), Permission.ADMINISTER)


@bp.context_processor
def _sso_alerts() -> dict:
    """The banner on every admin page when something threatens the tenant's sign-in (not on
    an error page answered before the tenant's scope, or drawn without the database)."""
    from web.auth import alerts
    from web.tenancy import current_tenant_id

    if current_tenant_id() is None or not can(g.get("user"), Permission.ADMINISTER):
        return {}
    raised = alerts.raised()
    settings = current_settings() if raised else None
    return {"sso_alerts": raised, "sso_alerts_saml": settings is not None and settings.is_saml}


@bp.get("/")
def index():
    return render_template(
        "admin/index.html",
        admin_items=navigation.admin_items(),
        settings=current_settings(),
        unplaced=len(unplaced_users()),
    )


@bp.route("/sso", methods=["GET", "POST"])
def sso():
    shown = _shown_settings()
    settings = shown if shown is not None and not shown.is_saml else None
    form = (
        SsoSettingsForm(obj=settings) if request.method == "GET" and settings else SsoSettingsForm()
    )
    if request.method == "GET" and settings:
        for key in ROLE_KEYS:
            getattr(form, f"{key}_values").data = "\n".join(settings.values_for(key))
        form.unit_claim_kind.data = settings.unit_claim_kind.value
    if form.validate_on_submit():
        data = SettingsInput(
            issuer=form.issuer.data,
            discovery_url=form.discovery_url.data,
            client_id=form.client_id.data,
            client_secret=form.client_secret.data or None,
            scopes=form.scopes.data,
            email_claim=form.email_claim.data,
            name_claim=form.name_claim.data,
            unit_claim=form.unit_claim.data,
            unit_claim_kind=UnitClaimKind(form.unit_claim_kind.data),
            roles_claim=form.roles_claim.data,
            role_values={
                key: parse_values(getattr(form, f"{key}_values").data) for key in ROLE_KEYS
            },
            is_enabled=form.is_enabled.data,
        )
        try:
            version = update_settings(data, actor=g.user, draft=True)
        except InputError as exc:
            for name, message in exc.errors.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
        else:
            return _draft_saved(version, url_for(".sso"))
    context = {"form": form, "settings": settings, **_versions_context()}
    if request.method == "POST":  # refused by the form or by update_settings
        return invalid("admin/sso.html", form.errors, **context)
    return form_page("admin/sso.html", **context)


def _shown_settings():
    """What the SSO pages show in their form: the pending version, else the one in force."""
    return versions.draft_base()


def _versions_context() -> dict:
    history = versions.all_versions()
    return {
        "in_force": versions.in_force(),
        "pending": versions.pending(),
        "previous": versions.previous(),
        "history": history[:VERSIONS_SHOWN],
        "trial": trial,
    }


def _draft_saved(version, target: str):
    if version is None:
        return saved(_("Intet er ændret i forhold til den opsætning, der er i brug."), target)
    return saved(
        _(
            "Ændringerne er gemt som kladde (version %(n)s). Den opsætning, der er i "
            "brug, gælder stadig. Afprøv login med kladden, og tag den så i brug.",
            n=version.number,
        ),
        target,
    )


def _page_of(version) -> str:
    return url_for(".saml") if version.protocol == Protocol.SAML else url_for(".sso")


@bp.post("/sso/versions/<int:version_id>/test")
def sso_test(version_id: int):
    """A test sign-in with a pending version: the real flow, in a new tab."""
    version = get_or_404(SsoVersion, version_id)
    try:
        url = trial.begin(version, _callback_url(), ui_locales=str(get_locale()))
    except flow.LoginRefused as exc:
        db.session.rollback()
        result = trial.refusal(exc)
        versions.record_test(version, passed=False, result=result, actor=g.user)
        db.session.commit()
        return render_template(
            "auth/test_result.html",
            version=version,
            result=result,
            arrived=[],
            cause=trial.explain(result, versions.as_settings(version)),
        )
    db.session.commit()
    return redirect(url)


def _callback_url() -> str:
    from web.auth.views import _absolute

    return _absolute("t.auth.callback")


@bp.post("/sso/versions/<int:version_id>/apply")
def sso_apply(version_id: int):
    return _version_step(
        version_id, versions.apply, _("Version %(n)s er taget i brug. Næste login bruger den.")
    )


@bp.post("/sso/versions/<int:version_id>/discard")
def sso_discard(version_id: int):
    return _version_step(version_id, versions.discard, _("Kladden (version %(n)s) er kasseret."))


def _version_step(version_id: int, step, message: str):
    """Apply or discard a version; its page again, with what happened."""
    version = get_or_404(SsoVersion, version_id)
    try:
        step(version, actor=g.user)
    except versions.VersionRefused as exc:
        flash(_version_refusal(exc), "error")
        return redirect(_page_of(version))
    return saved(message % {"n": version.number}, _page_of(version))


@bp.post("/sso/rollback")
def sso_rollback():
    try:
        version = versions.rollback(actor=g.user)
    except versions.VersionRefused as exc:
        flash(_version_refusal(exc), "error")
        return redirect(url_for(".sso"))
    return saved(_("Version %(n)s er i brug igen.", n=version.number), _page_of(version))


def _version_refusal(exc) -> str:
    if exc.reason == "not_tested":
        return _(
            "Versionen kan først tages i brug, når en afprøvning af login med den er lykkedes."
        )
    if exc.reason == "nothing_to_roll_back":
        return _("Der er ingen tidligere version at rulle tilbage til.")
    return _("Versionen er ikke længere en kladde.")


@bp.route("/saml", methods=["GET", "POST"])
def saml():
    from web.auth.saml import keys
    from web.auth.saml.services import PRESETS, SamlInput, update_saml_settings

    shown = _shown_settings()
    saml_settings = shown if shown is not None and shown.is_saml else None
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
            role_values={
                key: given[key] or preset.get("role_values", {}).get(key, []) for key in ROLE_KEYS
            },
            required_loa=form.required_loa.data or "Substantial",
            is_enabled=form.is_enabled.data,
        )
        try:
            version = update_saml_settings(data, actor=g.user, draft=True)
            if not keys.published():
                keys.create(f"Aktørskab {g.tenant.slug}", actor=g.user)
        except InputError as exc:
            for name, message in exc.errors.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
        else:
            return _draft_saved(version, url_for(".saml"))
    from web.auth.saml.sp import endpoints

    in_force = current_settings()
    context = {
        "form": form,
        "settings": saml_settings,
        "sp_keys": keys.published(),
        "sp": endpoints(),
        "in_force_settings": in_force,
        **_versions_context(),
    }
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
    return render_template("admin/unplaced.html", users=users, forms=forms, has_units=bool(units))


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
    return saved(
        _("%(name)s er placeret i %(unit)s.", name=user.display_name, unit=unit.name),
        url_for(".unplaced"),
    )


AUDIT_FILTERS = {
    "person": Id,
    "event": OneOf(lambda: present.EVENT_LABELS, lambda: _("Vælg en af hændelserne på listen.")),
    "since": Day,
    "until": Day,
}


@bp.get("/audit")
def audit():
    """The audit log: filters by person, kind and days, pages of AUDIT_PAGE, CSV/XLSX export."""
    flt = read_filters(request.args, AUDIT_FILTERS)
    audit_filter = AuditFilter(
        actor_id=flt["person"], event=flt["event"], since=flt["since"], until=flt["until"]
    )
    context = {
        "args": request.args,
        "kinds": _kinds(),
        "people": [(p.id, p.display_name) for p in audit_actors()],
        "describe": present.describe,
        "event_label": present.event_label,
        "who": present.who,
    }
    if flt.errors:
        return invalid("admin/audit.html", flt.errors, entries=[], older=None, **context)
    if flt.fmt:
        entries = search(audit_filter, EXPORT_MAX)
        header = [
            _("Tidspunkt"),
            _("Hændelse"),
            _("Hvem"),
            _("Detaljer"),
            _("Fra"),
            _("Hændelseskode"),
        ]
        rows = [
            (
                e.created_at,
                present.event_label(e.event),
                present.who(e),
                present.describe(e),
                e.ip,
                e.event,
            )
            for e in entries
        ]
        return export(
            flt, "revisionslog", header, rows, sheet=_("Revisionslog"), event="audit.exported"
        )
    before = read({}, "before", request.args.get("before", ""), Id)
    entries = search(audit_filter, AUDIT_PAGE, before_id=before)
    older = entries[-1].id if len(entries) == AUDIT_PAGE else None
    page = max(1, request.args.get("page", 1, type=int)) if before else 1
    return render_template(
        "admin/audit.html",
        errors={},
        entries=entries,
        older=older,
        page=page,
        link_args=flt.link_args(),
        **context,
    )


def _kinds() -> list[tuple[str, str]]:
    return sorted(
        ((code, str(label)) for code, label in present.EVENT_LABELS.items()),
        key=lambda kind: kind[1],
    )
