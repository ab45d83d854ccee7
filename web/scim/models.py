"""SCIM's own rows: the tenant's bearer tokens, and the groups an identity provider sends."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.extensions import db
from web.models import TenantScoped, Timestamped, UtcDateTime, enum_column, utcnow
from web.orgs.models import OrgUnit
from web.users.models import TenantRoleName, User

MAX_TOKEN_NAME = 100


class ScimToken(TenantScoped, Timestamped, db.Model):
    """A tenant's SCIM bearer token (for its identity provider, not for a person).

    As the API's personal tokens (``web.api.tokens``): only the SHA-256 hash is stored, the
    token is shown once; revoking stamps ``revoked_at`` and keeps the row for the record.
    """

    __tablename__ = "scim_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_TOKEN_NAME))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class GroupTarget(enum.StrEnum):
    """What membership of a SCIM group means in Aktørskab, as the tenant admin sets it."""

    NONE = "none"  # nothing (yet): the group is kept, its members get nothing from it
    UNIT = "unit"  # membership of an org unit (as employee)
    LEADER = "leader"  # leadership of an org unit
    ROLE = "role"  # a tenant-wide role


class ScimGroup(TenantScoped, Timestamped, db.Model):
    __tablename__ = "scim_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "display_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    target: Mapped[GroupTarget] = mapped_column(enum_column(GroupTarget), default=GroupTarget.NONE)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="SET NULL"))
    role: Mapped[TenantRoleName | None] = mapped_column(enum_column(TenantRoleName))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    unit: Mapped[OrgUnit | None] = relationship()
    members: Mapped[list[ScimGroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", lazy="selectin"
    )


class ScimGroupMember(TenantScoped, db.Model):
    __tablename__ = "scim_group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("scim_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    group: Mapped[ScimGroup] = relationship(back_populates="members")
    user: Mapped[User] = relationship()
