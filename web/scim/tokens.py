"""The tenant's SCIM bearer tokens: created by its admin (shown once), revoked, checked.

The mechanism of the API's personal tokens (``web.api.tokens``): 256 random bits behind a
recognisable prefix, only the SHA-256 hash stored, looked up inside the URL's tenant scope so
another tenant's token is not found. A SCIM token belongs to the tenant, not to a person: it
does not expire by itself (an identity provider's sync runs for years), and it stops working
when the admin revokes it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from web.api.tokens import MAX_PRESENTED_LENGTH, hash_token, parse_authorization
from web.audit.services import record as audit
from web.errors import InputError
from web.extensions import db
from web.inputs import check_text
from web.models import utcnow
from web.scim.models import MAX_TOKEN_NAME, ScimToken
from web.users.models import User

PREFIX = "scim_"
MAX_ACTIVE = 5
LAST_USED_RESOLUTION = timedelta(seconds=60)

__all__ = ["authenticate", "create", "hash_token", "parse_authorization", "revoke", "tokens"]


@dataclass(frozen=True)
class NewToken:
    token: ScimToken
    secret: str  # shown to the admin once, never stored


def tokens() -> list[ScimToken]:
    return list(
        db.session.scalars(
            select(ScimToken).order_by(ScimToken.created_at.desc(), ScimToken.id.desc())
        )
    )


def create(name: str | None, actor: User) -> NewToken:
    errors: dict[str, str] = {}
    name = check_text(errors, "name", name, MAX_TOKEN_NAME, required=True)
    active = db.session.scalar(
        select(func.count(ScimToken.id)).where(ScimToken.revoked_at.is_(None))
    )
    if active >= MAX_ACTIVE:
        errors.setdefault(
            "name",
            _(
                "Der er allerede %(count)s aktive SCIM-nøgler. "
                "Tilbagekald en, før du opretter en ny.",
                count=MAX_ACTIVE,
            ),
        )
    if errors:
        raise InputError(errors)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ScimToken(
        name=name, token_hash=hash_token(secret), created_by_id=actor.id, created_at=utcnow()
    )
    db.session.add(token)
    db.session.flush()
    audit("scim.token_created", actor=actor, target=token, name=name)
    return NewToken(token, secret)


def revoke(token: ScimToken, actor: User) -> bool:
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    audit("scim.token_revoked", actor=actor, target=token, name=token.name)
    return True


def authenticate(header: str | None) -> ScimToken | None:
    """The active token of the current tenant an ``Authorization`` header presents, or None.
    Stamps ``last_used_at`` at most once a minute."""
    presented = parse_authorization(header) if header else None
    if (
        presented is None
        or not presented.startswith(PREFIX)
        or len(presented) > MAX_PRESENTED_LENGTH
    ):
        return None
    token = db.session.scalar(
        select(ScimToken).where(
            ScimToken.token_hash == hash_token(presented), ScimToken.revoked_at.is_(None)
        )
    )
    if token is None:
        return None
    now = utcnow()
    last = token.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    if last is None or now - last >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token
