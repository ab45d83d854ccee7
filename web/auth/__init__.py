"""Municipal single sign-on: per-tenant OpenID Connect, sessions, logout, the dev provider."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask


def init_app(app: Flask) -> None:
    from web.auth import oidc

    # The cookie itself expires with the absolute timeout; the idle timeout is checked per request.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        seconds=app.config["AUTH_ABSOLUTE_TIMEOUT"]
    )
    # ... so it is re-signed and sent only when the session changes (at login, at most once a
    # minute for ``seen_at``, at logout), not on every page: Flask's default re-signs it on
    # each request (0.1-0.2 ms of the signed-in floor) only to slide an expiry the absolute
    # timeout caps anyway.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    from web.auth.session import SessionInterface

    app.session_interface = SessionInterface()
    oidc.init_app(app)
