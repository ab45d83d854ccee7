"""Shared column types and mixins for the domain models."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Enum, ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

# The product's one time zone: the calendar days people see, remind and report in.
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today as people here see it: the calendar day in Copenhagen (never the server's or
    UTC's day, which differ from it for an hour or two every night)."""
    return datetime.now(COPENHAGEN).date()


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in time, stored in UTC and always read back tz-aware in UTC, on every backend.

    PostgreSQL keeps ``timestamptz`` and returns aware values; SQLite has no time zones and
    returns naive ones, which would otherwise be read as local or UTC depending on the path
    (the +1 h shift of every meeting on the embedded default). A naive value is refused at
    binding: it does not say which moment it means. The DDL is ``DateTime(timezone=True)``'s,
    so no migration follows from using it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UtcDateTime needs a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError(f"naive datetime {value!r}: give it a time zone (UTC)")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite compares the stored text: one format, no offset, for every row.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return as_utc(value)


def as_utc(value: datetime | str | None) -> datetime | None:
    """A datetime read from either backend (aware, naive-meaning-UTC, or SQLite text) in UTC.

    For raw SQL / Core paths whose columns carry no ``UtcDateTime`` type (aggregates,
    ``text()`` queries).
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], name: str | None = None, **kwargs) -> Enum:
    """A portable enum: VARCHAR plus a CHECK constraint, storing the enum's values.

    The constraint is named ck_<table>_<name>; pass ``name`` when one table has two columns
    of the same enum.
    """
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
        name=name or enum_cls.__name__.lower(),
        **kwargs,
    )


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TenantScoped:
    """Rows that belong to one tenant. Every query on them is filtered by ``web.tenancy``."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(
            Integer, ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
        )


class Updated:
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
