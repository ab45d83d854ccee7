"""Unsubscribe links: a signed token naming tenant, person and kind, valid until used.

The token is the authentication (a mail client's one-click POST carries no session), so it is
signed with the app's secret and a salt of its own, and it only works under its own tenant.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.dialects import postgresql, sqlite

from web.extensions import db
from web.reminders.models import ESSENTIAL_KINDS, ReminderKind, ReminderUnsubscribe

SALT = "reminders.unsubscribe"


class InvalidToken(ValueError):
    """Not a token we signed, or one for another tenant or for an essential kind."""


@dataclass(frozen=True)
class Unsubscription:
    tenant_id: int
    user_id: int
    kind: ReminderKind


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(tenant_id: int, user_id: int, kind: ReminderKind) -> str:
    return _serializer().dumps([tenant_id, user_id, kind.value])


class TokenMaker:
    """``make_token`` for many tokens in a row (a delivery chunk): one serializer and signer."""

    def __init__(self) -> None:
        self._serializer = _serializer()
        self._signer = self._serializer.make_signer()

    def __call__(self, tenant_id: int, user_id: int, kind: ReminderKind) -> str:
        # What URLSafeSerializer.dumps does, without a new signer per token.
        payload = self._serializer.dump_payload([tenant_id, user_id, kind.value])
        return self._signer.sign(payload).decode("ascii")


def read_token(token: str, tenant_id: int) -> Unsubscription:
    try:
        token_tenant, user_id, kind = _serializer().loads(token)
        unsubscription = Unsubscription(int(token_tenant), int(user_id), ReminderKind(kind))
    except (BadData, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from None
    if unsubscription.tenant_id != tenant_id or unsubscription.kind in ESSENTIAL_KINDS:
        raise InvalidToken("not for this tenant, or an essential kind")
    return unsubscription


def unsubscribe(unsubscription: Unsubscription) -> None:
    """Record the wish (idempotent: a second click changes nothing)."""
    insert = (
        postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    db.session.execute(
        insert(ReminderUnsubscribe.__table__)
        .values(
            tenant_id=unsubscription.tenant_id,
            user_id=unsubscription.user_id,
            kind=unsubscription.kind.value,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "kind"])
    )
