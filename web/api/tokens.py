"""Personal access tokens: creating one (shown once), revoking it, and checking a presented one.

A token is ``akt_`` followed by 43 random URL-safe characters (256 bits from ``secrets``). The
database keeps only its SHA-256 hash, so a copy of the database gives no usable token; a plain
hash (no salt, no slow KDF) is enough because the token is random and long, and it lets the
lookup be one indexed equality. Tokens live in their tenant: a token is looked up inside the
tenant scope of the URL, so another tenant's token is simply not found.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from flask_babel import gettext as _
from sqlalchemy import func, select

from web.api.models import MAX_TOKEN_NAME, ApiToken
from web.errors import InputError
from web.extensions import db
from web.inputs import check_text, read
from web.models import utcnow
from web.users.models import User

PREFIX = "akt_"
MAX_PRESENTED_LENGTH = 200
EXPIRY_CHOICES = (7, 30, 90, 365)  # days
Expiry = Literal[EXPIRY_CHOICES]
DEFAULT_EXPIRY = 90
MAX_ACTIVE_TOKENS = 20
# ``last_used_at`` is rewritten at most this often, not on every request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the token itself: shown to its owner once, never stored


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_authorization(header: str) -> str | None:
    """The token of an ``Authorization`` header, or None when it is not a bearer credential.

    RFC 9110: the scheme is case-insensitive and is separated from the credential by
    whitespace; the rate limits key on this result, so every spelling of one header counts
    against one token.
    """
    parts = header.split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    secret = parts[1].strip()
    return secret or None


def user_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too, for the record)."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def is_active(token: ApiToken, now: datetime | None = None) -> bool:
    return token.revoked_at is None and _aware(token.expires_at) > (now or utcnow())


def create_token(user: User, name: str | None, expires_in_days: object) -> NewToken:
    """A new token for ``user``; raises ``InputError`` (``name``, ``expires_in_days``) first."""
    errors: dict[str, str] = {}
    name = check_text(errors, "name", name, MAX_TOKEN_NAME, required=True)
    days = read(errors, "expires_in_days", expires_in_days, Expiry, required=True)
    now = utcnow()
    active = db.session.scalar(
        select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now
        )
    )
    if active >= MAX_ACTIVE_TOKENS:
        errors.setdefault(
            "name",
            _(
                "Du har allerede %(count)s aktive nøgler. Tilbagekald en, før du opretter en ny.",
                count=MAX_ACTIVE_TOKENS,
            ),
        )
    if errors:
        raise InputError(errors)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(secret),
        expires_at=now + timedelta(days=days),
        created_at=now,
    )
    db.session.add(token)
    db.session.flush()
    _audit("api_token.created", user, token, expires_at=token.expires_at.isoformat())
    return NewToken(token, secret)


def revoke_token(user: User, token: ApiToken) -> bool:
    """Revoke ``token`` (the caller has checked it is the user's). False if it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    _audit("api_token.revoked", user, token)
    return True


def authenticate(presented: str) -> User | None:
    """The active user of an active token of the current tenant, or None.

    Stamps ``last_used_at`` (when it is older than ``LAST_USED_RESOLUTION``) and flushes.
    """
    if not presented.startswith(PREFIX) or len(presented) > MAX_PRESENTED_LENGTH:
        return None
    now = utcnow()
    row = db.session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.token_hash == hash_token(presented),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
            User.is_active.is_(True),
        )
    ).first()
    if row is None:
        return None
    token, user = row
    if token.last_used_at is None or now - _aware(token.last_used_at) >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.flush()
    return user


def _aware(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive (they were stored in UTC).
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _audit(event: str, user: User, token: ApiToken, **details: object) -> None:
    from web.audit.services import record

    record(event, actor=user, target=token, name=token.name, **details)
