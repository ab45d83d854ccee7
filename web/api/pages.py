"""The page where a signed-in user creates and revokes their personal access tokens.

A new token is shown once, in the response to the POST that created it (never in a flash
message or a redirect, so it is not kept in the session cookie); afterwards only its name and
dates are shown. The page answers with ``Cache-Control: no-store``.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.api import tokens
from web.api.models import MAX_TOKEN_NAME, ApiToken
from web.auth.session import require_user
from web.errors import Refusal
from web.extensions import db
from web.forms import saved
from web.models import utcnow
from web.tenancy import get_or_404

bp = Blueprint("api_tokens", __name__, url_prefix="/api-tokens", template_folder="templates")


@bp.route("/", methods=["GET", "POST"])
def index():
    user = require_user()
    errors: dict[str, str] = {}
    created = None
    values = {"name": "", "expires_in_days": str(tokens.DEFAULT_EXPIRY)}
    status = 200
    if request.method == "POST":
        values = {
            "name": request.form.get("name", ""),
            "expires_in_days": request.form.get("expires_in_days", ""),
        }
        try:
            created = tokens.create_token(user, values["name"], values["expires_in_days"])
        except Refusal as exc:
            db.session.rollback()
            errors, status = exc.errors, 422
        else:
            db.session.commit()
            values = {"name": "", "expires_in_days": str(tokens.DEFAULT_EXPIRY)}
            status = 201
    response = render_template(
        "api/tokens.html",
        tokens=tokens.user_tokens(user),
        created=created,
        errors=errors,
        values=values,
        now=utcnow(),
        is_active=tokens.is_active,
        max_name=MAX_TOKEN_NAME,
        expiry_options=[(str(d), _("%(days)s dage", days=d)) for d in tokens.EXPIRY_CHOICES],
        api_base=url_for("t.api.openapi_json").rsplit("/", 1)[0],
    )
    return response, status, {"Cache-Control": "no-store"}


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    user = require_user()
    token = get_or_404(ApiToken, token_id)
    if token.user_id != user.id:
        abort(404)  # another person's token does not exist for the caller
    if not tokens.revoke_token(user, token):
        return redirect(url_for(".index"))  # it already was: nothing to say
    return saved(
        _("Nøglen »%(name)s« er tilbagekaldt og virker ikke længere.", name=token.name),
        url_for(".index"),
    )
