"""Another app beside the session's: the same test database (and the test's transaction, via
db.session), queue and instance folder, with some settings changed (limits on, nets off)."""

from __future__ import annotations

import uuid

from flask import Flask

from web import create_app

# What an extra app takes over from the session's app.
SHARED = (
    "ENV",
    "TESTING",
    "SECRET_KEY",
    "SQLALCHEMY_DATABASE_URI",
    "SQLALCHEMY_OWNER_URI",
    "REDIS_URL",
    "CELERY_QUEUE",
    "WTF_CSRF_ENABLED",
    "INSTANCE_PATH",
)


def extra_app(app: Flask, **overrides: object) -> Flask:
    """An app built like ``app`` with ``overrides``; ``app``'s Celery stays the current one
    (creating an app makes its own current: shared tasks would publish through it)."""
    extra = create_app({**{k: app.config.get(k) for k in SHARED}, **overrides})
    app.extensions["celery"].set_current()
    return extra


def limited_app(app: Flask, **limits: object) -> Flask:
    """An app with its rate limits on (they are off in tests), counted in Redis under a key
    prefix of its own so that no other test's counts reach it; ``limits`` e.g.
    ``RATELIMIT_SSO="3 per minute"``."""
    return extra_app(
        app,
        RATELIMIT_ENABLED=True,
        RATELIMIT_KEY_PREFIX=f"rl-test-{uuid.uuid4().hex}",
        **limits,
    )
