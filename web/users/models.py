from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.extensions import db
from web.models import TenantScoped, Timestamped, UtcDateTime, enum_column


class TenantRoleName(enum.StrEnum):
    HR = "hr"
    HOVEDUDVALG = "hovedudvalg"
    ADMIN = "admin"


class RoleSource(enum.StrEnum):
    """Where a role or membership came from: claims are refreshed at login, the rest kept."""

    SSO = "sso"
    APP = "app"
    IMPORT = "import"


class User(TenantScoped, Timestamped, db.Model):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # The login profile's language (SSO claim, SCIM, the import): refreshed from there.
    locale: Mapped[str | None] = mapped_column(String(5))
    # The language the person chose on their settings page; it comes before the profile's.
    chosen_locale: Mapped[str | None] = mapped_column(String(5))
    # Who may see an answer, as the person last chose it (a ``Visibility`` value): the
    # preparation form's unanswered questions start there. No time stamp beside it.
    answer_visibility: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The identity provider's own id for the person (SCIM ``externalId``, Entra's objectId).
    external_id: Mapped[str | None] = mapped_column(String(255))
    # Unit claims of the last login that matched several units (same-named sibling teams):
    # [{"ref": claim value, "candidates": [{"id", "external_id", "path"}, ...]}]; the person
    # is not placed by them, and the admin's "to place" list shows the candidates.
    ambiguous_units: Mapped[list | None] = mapped_column(JSON)
    # What SCIM sent of the attributes Aktørskab publishes but does not use itself (the name's
    # parts, the e-mails' types, preferredLanguage as sent, the enterprise department), so
    # that a GET returns what was written (web.scim.storage).
    scim_data: Mapped[dict | None] = mapped_column(JSON)

    roles: Mapped[list[TenantRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def language(self) -> str | None:
        """The person's language: their own choice, else their login profile's."""
        return self.chosen_locale or self.locale

    def has_role(self, role: TenantRoleName) -> bool:
        return any(r.role == role for r in self.roles)

    def __repr__(self) -> str:
        return f"<User {self.subject}>"


class TenantRole(TenantScoped, db.Model):
    """A tenant-wide role (hr, hovedudvalg, admin) held by a user."""

    __tablename__ = "tenant_roles"
    __table_args__ = (UniqueConstraint("user_id", "role", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[TenantRoleName] = mapped_column(enum_column(TenantRoleName))
    source: Mapped[RoleSource] = mapped_column(enum_column(RoleSource), default=RoleSource.APP)

    user: Mapped[User] = relationship(back_populates="roles")
