from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.extensions import db
from web.models import TenantScoped, Timestamped, UtcDateTime, enum_column
from web.users.models import RoleSource, User


class UnitKind(enum.StrEnum):
    ORGANISATION = "organisation"
    AREA = "area"
    DEPARTMENT = "department"
    TEAM = "team"


class MembershipRole(enum.StrEnum):
    EMPLOYEE = "employee"
    LEADER = "leader"


class OrgUnit(TenantScoped, Timestamped, db.Model):
    """A node of the municipality's organisation tree; a team is an arbejdsfællesskab."""

    __tablename__ = "org_units"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        # The child's id too: a walk down the tree probes the index alone (migration 0025).
        Index("ix_org_units_tenant_id_parent_id_id", "tenant_id", "parent_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind))
    external_id: Mapped[str] = mapped_column(String(100))
    # Set by a complete import that no longer lists the (empty) unit; kept for the record
    # (cycles and reports may name it), left out of the tree's choices.
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"<OrgUnit {self.external_id} {self.name}>"


class Membership(TenantScoped, Timestamped, db.Model):
    """A user in an org unit, as employee or leader."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "unit_id", "role"),
        Index("ix_memberships_tenant_id_unit_id", "tenant_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    role: Mapped[MembershipRole] = mapped_column(enum_column(MembershipRole))
    source: Mapped[RoleSource] = mapped_column(enum_column(RoleSource), default=RoleSource.APP)

    user: Mapped[User] = relationship()
    unit: Mapped[OrgUnit] = relationship()


class ProvisioningSource(enum.StrEnum):
    CSV = "csv"
    SCIM = "scim"


class ProvisioningRun(TenantScoped, Timestamped, db.Model):
    """One import or SCIM sync: what it changed (``summary``) and what it refused (``errors``).

    The admin's provisioning page shows the last one per source. A refused import is recorded
    too (``ok`` false, nothing else written), in its own transaction.
    """

    __tablename__ = "provisioning_runs"
    __table_args__ = (
        Index("ix_provisioning_runs_tenant_id_source_id", "tenant_id", "source", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[ProvisioningSource] = mapped_column(enum_column(ProvisioningSource))
    ok: Mapped[bool] = mapped_column(default=True)
    complete: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    errors: Mapped[list[str]] = mapped_column(JSON, default=list)
