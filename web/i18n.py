"""Locale selection: the user's explicit choice, their profile, the browser, the tenant."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request, session


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # CLI commands and tasks: e-mails use force_locale with the recipient's language.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    user = g.get("user")
    if user is not None and user.locale in languages:
        return user.locale
    best = request.accept_languages.best_match(languages)
    if best:
        return best
    tenant = g.get("tenant")
    if tenant is not None and tenant.default_locale in languages:
        return tenant.default_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]
