"""The signed-in user: stored in the session cookie, bound to the tenant of the URL."""

from __future__ import annotations

import time

from flask import abort, g, session

from web.users.models import User


def session_payload(user: User) -> dict:
    """What a signed-in session holds; tests use it to sign in without the SSO round trip."""
    return {"user_id": user.id, "tenant_id": user.tenant_id, "login_at": int(time.time())}


def login(user: User) -> None:
    """Start a fresh session for ``user`` (clearing whatever was there before)."""
    lang = session.get("lang")
    session.clear()
    session.update(session_payload(user))
    if lang:
        session["lang"] = lang
    session.permanent = True
    g.user = user


def logout() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    g.user = None


def load_user(tenant_id: int) -> User | None:
    """The session's user if it belongs to this tenant and is active, else None."""
    user_id = session.get("user_id")
    if user_id is None or session.get("tenant_id") != tenant_id:
        return None
    from web.extensions import db

    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return user


def require_user() -> User:
    user = g.get("user")
    if user is None:
        abort(401)
    return user
