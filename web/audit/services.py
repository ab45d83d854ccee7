"""``record(event, ...)``: the one way to write the audit log, for every area.

An entry says what happened (``event``, dotted: ``auth.login``, ``sso.settings_updated``), who
did it (``actor``, or the identity provider's ``subject`` when there is no user yet), to what
(``target``), from where (IP address and request id, taken from the request) and any details.
Details are plain JSON; keys that look like secrets are redacted so a caller cannot log one by
accident. The entry is flushed (inside the caller's tenant scope) and made durable by the
caller's commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from web.audit.models import AuditEntry
from web.extensions import db
from web.inputs import one_line
from web.tablefilters import day_start
from web.users.models import User

REDACTED = "[skjult]"
_SECRET_HINTS = ("secret", "password", "token", "verifier", "cookie", "authorization")
MAX_DETAIL_LENGTH = 500


def record(
    event: str,
    /,
    *,
    actor: User | None = None,
    subject: str | None = None,
    target: object | None = None,
    **details: Any,
) -> AuditEntry:
    entry = AuditEntry(
        event=event,
        actor_id=actor.id if actor is not None else None,
        # A refused login records what the provider sent: on one line (PostgreSQL cannot
        # store NUL, and a log line must not be split by what it quotes).
        subject=one_line(subject or (actor.subject if actor is not None else None))[:255] or None,
        target_type=getattr(target, "__tablename__", None) if target is not None else None,
        target_id=getattr(target, "id", None) if target is not None else None,
        details={key: _clean(key, value) for key, value in details.items()},
    )
    if has_request_context():
        entry.ip = (request.remote_addr or "")[:45] or None
        entry.request_id = g.get("request_id")
    db.session.add(entry)
    db.session.flush()
    return entry


def _clean(key: str, value: Any) -> Any:
    if any(hint in key.lower() for hint in _SECRET_HINTS):
        return REDACTED
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return one_line(value)[:MAX_DETAIL_LENGTH]
    if isinstance(value, dict):
        return {str(k): _clean(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_clean(key, v) for v in items]
    return str(value)[:MAX_DETAIL_LENGTH]


@dataclass(frozen=True)
class AuditFilter:
    """What the audit log page filters by; every field optional. Days are Copenhagen days."""

    actor_id: int | None = None
    event: str | None = None  # an exact event code (one of ``present.EVENT_LABELS``)
    since: date | None = None
    until: date | None = None  # inclusive


def search(
    flt: AuditFilter, limit: int = 100, *, before_id: int | None = None
) -> Sequence[AuditEntry]:
    """The current tenant's entries matching ``flt``, newest first (keyset pagination)."""
    query = (
        select(AuditEntry)
        .options(selectinload(AuditEntry.actor))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if flt.actor_id is not None:
        query = query.where(AuditEntry.actor_id == flt.actor_id)
    if flt.event:
        query = query.where(AuditEntry.event == flt.event)
    if flt.since is not None:
        query = query.where(AuditEntry.created_at >= day_start(flt.since))
    if flt.until is not None:
        query = query.where(AuditEntry.created_at < day_start(flt.until + timedelta(days=1)))
    return db.session.scalars(query).all()


def actors() -> list[User]:
    """The people who appear in the current tenant's log, by name (the person filter)."""
    ids = select(AuditEntry.actor_id).where(AuditEntry.actor_id.is_not(None)).distinct()
    return list(
        db.session.scalars(
            select(User).where(User.id.in_(ids)).order_by(User.display_name, User.id)
        )
    )
