"""Privacy and accessibility pages (everyone), "Mine data" (signed in), and the admin's GDPR
pages: retention and page texts, erasing a person."""

from __future__ import annotations

import json

from flask import Blueprint, Response, g, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from web.audit.services import record
from web.auth.session import require_user
from web.errors import Refusal
from web.extensions import db
from web.forms import form_page, saved
from web.gdpr import services
from web.permissions import Permission, require
from web.tenancy import get_or_404
from web.users.models import User

bp = Blueprint("gdpr", __name__, template_folder="templates")


def _page(page: str, title: str):
    text = services.page_text(g.tenant, page, str(get_locale()))
    return render_template(
        "gdpr/page.html",
        title=title,
        paragraphs=services.paragraphs(text),
        page=page,
        accessibility_url=services.accessibility_url(g.tenant),
    )


@bp.get("/privacy")
def privacy():
    return _page("privacy", _("Privatlivspolitik"))


@bp.get("/accessibility")
def accessibility():
    return _page("accessibility", _("Tilgængelighedserklæring"))


# --- the signed-in person's own data ------------------------------------------------------------


@bp.get("/my-data")
def my_data():
    require_user()
    return render_template("gdpr/my_data.html", retention=services.retention_months(g.tenant))


@bp.get("/my-data.json")
def my_data_download():
    user = require_user()
    data = services.export_user_data(user)
    record("gdpr.data_exported", actor=user, target=user)
    db.session.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="mine-data.json"',
            "Cache-Control": "no-store",
        },
    )


# --- the tenant admin ----------------------------------------------------------------------------


@bp.route("/admin/privacy", methods=["GET", "POST"])
def settings():
    user = require_user()
    require(user, Permission.ADMINISTER)
    if request.method == "GET":
        return _settings_form(_current_values())
    try:
        changed = services.update_settings(g.tenant, user, request.form)
    except Refusal as exc:
        return _settings_form(request.form, exc.errors)
    return saved(
        _("Indstillingerne er gemt.") if changed else _("Intet er ændret."), url_for(".settings")
    )


def _settings_form(values, errors: dict[str, str] | None = None):
    return form_page(
        "gdpr/settings.html",
        errors,
        values=values,
        low=services.MIN_RETENTION_MONTHS,
        high=services.MAX_RETENTION_MONTHS,
        max_text=services.MAX_PAGE_TEXT,
    )


def _current_values() -> dict[str, object]:
    tenant_settings = g.tenant.settings or {}
    values: dict[str, object] = {
        "retention_months": services.retention_months(g.tenant),
        "accessibility_url": tenant_settings.get("accessibility_url") or "",
    }
    for page in services.PAGES:
        for locale in services.LOCALES:
            values[f"{page}_text_{locale}"] = services.page_text(g.tenant, page, locale)
    return values


@bp.get("/admin/people")
def people():
    user = require_user()
    require(user, Permission.ADMINISTER)
    return render_template("gdpr/people.html", people=services.erasable_people())


@bp.route("/admin/people/<int:user_id>/erase", methods=["GET", "POST"])
def erase(user_id: int):
    user = require_user()
    person = get_or_404(User, user_id)
    require(user, Permission.ADMINISTER)
    if request.method == "GET":
        return _erase_form(person)
    try:
        services.erase_person(user, person, confirmed=request.form.get("confirm") == "yes")
    except Refusal as exc:
        return _erase_form(person, exc.errors)
    return saved(_("Personens oplysninger er slettet."), url_for(".people"))


def _erase_form(person: User, errors: dict[str, str] | None = None):
    return form_page("gdpr/erase.html", errors, person=person, erased=services.is_erased(person))
