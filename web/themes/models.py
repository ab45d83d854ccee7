"""Embeddings of published collection entries and the themes found among them.

A vector is stored as the raw bytes of 384 float32 values (``LargeBinary``): the same column on
PostgreSQL and SQLite, no extension needed. Search runs in numpy over the tenant's matrix (see
``search.py`` for why that is enough at municipal scale).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from web.extensions import db
from web.models import TenantScoped, Timestamped, UtcDateTime, utcnow


class EntryEmbedding(TenantScoped, db.Model):
    __tablename__ = "entry_embeddings"
    __table_args__ = (UniqueConstraint("entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("collection_entries.id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(String(80))
    revision: Mapped[int] = mapped_column()  # the entry's revision the vector was made from
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    embedded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SearchVersion(db.Model):
    """A tenant's stamp, renewed (a new random number) by database triggers in every transaction
    that changes a row its published matrix is made of: a vector, an entry, an offered example
    (migration 0026). Never written by the application; ``search.version()`` reads it."""

    __tablename__ = "search_versions"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(BigInteger)


class Theme(TenantScoped, Timestamped, db.Model):
    """One cluster of a period's entries. HR's decisions (name, hidden, merged into another,
    split) live on the row and are carried to the matching cluster of every recomputation."""

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    words: Mapped[list[str]] = mapped_column(JSON, default=list)  # characteristic Danish words
    entry_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # most central first
    centroid: Mapped[bytes] = mapped_column(LargeBinary)
    name: Mapped[str | None] = mapped_column(Text)  # HR's name, else the words are shown
    is_hidden: Mapped[bool] = mapped_column(default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    # HR split a theme: every part carries the id the first theme had, and a recomputed cluster
    # matching the parts together is divided among them again (services.compute).
    split_group: Mapped[int | None] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
