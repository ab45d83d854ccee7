"""Municipal single sign-on: per-tenant OpenID Connect, sessions, logout, the dev provider."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask


def init_app(app: Flask) -> None:
    from web.auth import oidc

    # The cookie itself expires with the absolute timeout; the idle timeout is checked per request.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        seconds=app.config["AUTH_ABSOLUTE_TIMEOUT"])
    oidc.init_app(app)
