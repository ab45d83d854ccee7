from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from web.extensions import db
from web.models import Timestamped

DEFAULT_K_THRESHOLD = 5


class Tenant(Timestamped, db.Model):
    """A municipality. The only table without a tenant_id."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_locale: Mapped[str] = mapped_column(String(5), default="da")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    @property
    def k_threshold(self) -> int:
        # Never below 3, whatever a tenant configures (DOMAIN.md: no figure about < k people).
        return max(3, int((self.settings or {}).get("k_threshold", DEFAULT_K_THRESHOLD)))

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"
