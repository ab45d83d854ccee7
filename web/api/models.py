"""Personal access tokens for the JSON API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.extensions import db
from web.models import TenantScoped, Timestamped, UtcDateTime
from web.users.models import User

MAX_TOKEN_NAME = 100


class ApiToken(TenantScoped, Timestamped, db.Model):
    """A user's personal access token, valid only in its own tenant.

    Only the SHA-256 hash of the token is stored (the token itself is shown once, when it is
    created). A token always expires; revoking it stamps ``revoked_at`` and keeps the row, so
    the owner's list and the audit log still say which token it was.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_TOKEN_NAME))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship()
