"""A tenant's (or one unit's) Microsoft Teams channel, reached by a Workflows webhook.

The URL ("When a Teams webhook request is received") carries its own signature (``sig=``):
whoever has it can post into the channel, so it is kept Fernet-encrypted like an SSO client
secret (``web.auth.crypto``) and shown only by its host. A unit's webhook takes that unit's
cycles; the tenant's (``unit_id`` NULL, at most one) takes every other cycle.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from web.extensions import db
from web.models import TenantScoped, Timestamped, Updated


class TeamsWebhook(TenantScoped, Timestamped, Updated, db.Model):
    __tablename__ = "teams_webhooks"
    __table_args__ = (UniqueConstraint("tenant_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    url_encrypted: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255))  # what the admin page shows of the URL
