"""The person's settings page (under their name in the header): the language they read in."""

from __future__ import annotations

from flask import Blueprint, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from web.auth.session import require_user
from web.errors import Refusal
from web.forms import invalid, saved
from web.i18n import locale_and_source, select_locale
from web.users import services

bp = Blueprint("users", __name__, template_folder="templates")


@bp.route("/me/settings", methods=["GET", "POST"])
def settings():
    user = require_user()
    if request.method == "GET":
        return render_template(
            "users/settings.html",
            errors={},
            form={"language": user.chosen_locale or ""},
            **_context(user),
        )
    try:
        changed = services.choose_language(user, request.form.get("language", ""))
    except Refusal as exc:
        return invalid("users/settings.html", exc.errors, form=request.form, **_context(user))
    # The header's switch speaks for this browser only and would hide the choice just made.
    session.pop("lang", None)
    with force_locale(select_locale()):  # the message in the language chosen
        message = _("Dine indstillinger er gemt.") if changed else _("Intet er ændret.")
    return saved(message, url_for(".settings"))


def _context(user) -> dict:
    locale, source = locale_and_source()
    return {"current_language": locale, "language_source": source, "profile_language": user.locale}
