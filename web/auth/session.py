"""The signed-in user: stored in the session cookie, bound to the tenant of the URL.

A login starts a brand-new session (everything in the old cookie is dropped, and it gets a
fresh random session id, ``sid``). A session ends after ``AUTH_IDLE_TIMEOUT`` seconds without
a request, after ``AUTH_ABSOLUTE_TIMEOUT`` seconds whatever happens, or at logout, which also
records the session id as revoked so that a copy of the old cookie is refused as well.
"""

from __future__ import annotations

import functools
import secrets
import time
from datetime import UTC, datetime, timedelta

from flask import abort, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.orm import contains_eager

from web.users.models import User

# How stale ``seen_at`` may get before the cookie is rewritten (not on every request).
SEEN_RESOLUTION = 60
LOGIN_KEYS = ("user_id", "tenant_id", "login_at", "seen_at", "sid", "id_token", "saml_name_id")
# An id_token bigger than this stays out of the cookie (browsers cap cookies at 4 KB).
MAX_ID_TOKEN_IN_COOKIE = 2000


def idle_timeout() -> int:
    return int(current_app.config["AUTH_IDLE_TIMEOUT"])


def absolute_timeout() -> int:
    return int(current_app.config["AUTH_ABSOLUTE_TIMEOUT"])


def session_payload(user: User) -> dict:
    """What a signed-in session holds; tests use it to sign in without the SSO round trip."""
    now = int(time.time())
    return {
        "user_id": user.id,
        "tenant_id": user.tenant_id,
        "login_at": now,
        "seen_at": now,
        "sid": secrets.token_urlsafe(24),
    }


def login(user: User, *, id_token: str | None = None) -> None:
    """Start a fresh session for ``user`` (clearing whatever was there before)."""
    lang = session.get("lang")
    session.clear()
    session.update(session_payload(user))
    if id_token and len(id_token) <= MAX_ID_TOKEN_IN_COOKIE:
        # Kept only as the id_token_hint of RP-initiated logout.
        session["id_token"] = id_token
    if lang:
        session["lang"] = lang
    session.permanent = True
    g.user = user


def logout() -> None:
    """End the session in this browser. ``revoke_current`` also refuses copies of the cookie."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    g.user = None


def revoke_current() -> None:
    """Record this session's id as ended (the caller commits)."""
    from web.auth.models import RevokedSession
    from web.extensions import db

    sid = session.get("sid")
    if not sid:
        return
    now = datetime.now(UTC)
    db.session.execute(db.delete(RevokedSession).where(RevokedSession.expires_at < now))
    if db.session.get(RevokedSession, sid) is None:
        expires = datetime.fromtimestamp(session.get("login_at", time.time()), UTC) + timedelta(
            seconds=absolute_timeout()
        )
        db.session.add(RevokedSession(sid=sid, expires_at=max(expires, now)))


def load_user(tenant_id: int) -> User | None:
    """The session's user if it belongs to this tenant, is active and has not timed out."""
    user_id = session.get("user_id")
    if user_id is None or session.get("tenant_id") != tenant_id:
        return None
    now = int(time.time())
    login_at = session.get("login_at") or 0
    seen_at = session.get("seen_at") or login_at
    if now - login_at > absolute_timeout() or now - seen_at > idle_timeout():
        drop_login()
        return None

    from web.extensions import db
    from web.permissions import remember_memberships

    sid = session.get("sid")
    params = {"user_id": user_id, "tenant_id": tenant_id, "sid": sid}
    # The statement names the tenant for each of its tables itself (below), so the scoping
    # hook's per-statement criteria (rebuilt and re-keyed on every execution) are not added.
    rows = (
        db.session.execute(
            _user_statement(with_sid=bool(sid)),
            params,
            execution_options={"skip_tenant_scope": True},
        )
        .unique()
        .all()
    )
    user = rows[0][0] if rows else None
    if user is None or not user.is_active:
        drop_login()
        return None
    remember_memberships(user, [(unit, role) for _, unit, role in rows if unit is not None])
    if now - seen_at >= SEEN_RESOLUTION:
        session["seen_at"] = now
    return user


@functools.cache
def _user_statement(*, with_sid: bool):
    """One round trip for what every page needs: the user, their tenant roles (joined) and
    their memberships (one row each), which the navigation's permission checks use; the
    session must not have been revoked. Built once: constructing it costs more than running
    it from SQLAlchemy's compiled cache. Each table's tenant is named here (the statement is
    executed with ``skip_tenant_scope``: the scoping hook's criteria, rebuilt and re-keyed on
    every execution, cost ~0.4 ms per page)."""
    from web.auth.models import RevokedSession
    from web.orgs.models import Membership
    from web.users.models import TenantRole

    tenant = bindparam("tenant_id")
    query = (
        select(User, Membership.unit_id, Membership.role)
        .outerjoin(Membership, and_(Membership.user_id == User.id, Membership.tenant_id == tenant))
        .outerjoin(TenantRole, and_(TenantRole.user_id == User.id, TenantRole.tenant_id == tenant))
        .where(User.id == bindparam("user_id"), User.tenant_id == tenant)
        .options(contains_eager(User.roles))
    )
    if with_sid:
        query = query.where(~exists().where(RevokedSession.sid == bindparam("sid")))
    return query


def drop_login() -> None:
    for key in LOGIN_KEYS:
        session.pop(key, None)


def require_user() -> User:
    user = g.get("user")
    if user is None:
        abort(401)
    return user


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, whose serializer is built once per secret instead of twice
    per request (open and save): the same keys, salt and signer, the same verification."""

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built = app.extensions.get("session_serializer")
        if built is None or built[0] != keys:
            built = (keys, super().get_signing_serializer(app))
            app.extensions["session_serializer"] = built
        return built[1]
