"""Who is calling the API: a personal access token, or the browser's session cookie.

- ``Authorization: Bearer akt_…`` authenticates with a personal access token of the URL's
  tenant. When the header is present it is the only credential considered: a bad, expired or
  revoked token (or one of another tenant) is 401 ``invalid_token`` even if a session cookie
  came along too.
- Otherwise the signed-in session (the same cookie, timeouts and revocation as the pages, loaded
  by the tenant blueprint) is used.

CSRF: the API blueprint is exempt from the app-wide ``CSRFProtect`` and applies its own rule
here instead. A browser attaches the session cookie to any request by itself, so a request
authenticated by the cookie that changes something (POST, PUT, PATCH, DELETE) must carry the
session's CSRF token in the ``X-CSRFToken`` header (the pages' ``csrf-token``, or ``GET
/me``'s ``csrf_token``); otherwise it is 403 ``csrf_failed``. A bearer token is never sent by
a browser on its own, so token-authenticated requests need no CSRF token.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_wtf.csrf import ValidationError, generate_csrf, validate_csrf

from web.api import tokens
from web.api.errors import ApiError
from web.extensions import db

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")


def authenticate_request() -> None:
    """The API blueprint's ``before_request``: sets ``g.user`` and ``g.api_auth``."""
    header = request.headers.get("Authorization")
    if header is not None:
        presented = tokens.parse_authorization(header)
        user = tokens.authenticate(presented) if presented is not None else None
        if user is None:
            db.session.rollback()
            raise ApiError(401, "invalid_token")
        # The stamp of last use is the token's own small write, committed before the view runs
        # so a view's rollback (a refused request is still a use) does not undo it.
        db.session.commit()
        g.user, g.api_auth = user, "token"
        return
    g.api_auth = "session" if g.get("user") is not None else None
    if g.api_auth == "session" and request.method in UNSAFE_METHODS:
        _check_csrf()


def _check_csrf() -> None:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    presented = next((request.headers[h] for h in CSRF_HEADERS if request.headers.get(h)), None)
    try:
        validate_csrf(presented)
    except ValidationError:
        raise ApiError(403, "csrf_failed") from None


def csrf_token_for_session() -> str | None:
    return generate_csrf() if g.get("api_auth") == "session" else None
