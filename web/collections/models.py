"""Collection entries: an offered example as the whole tenant may see it once HR approves it.

An entry stores no author and no unit below area level: a team or department name can point at
a handful of people (a five-person team is as good as a name). It keeps only the area, and only
when the area has at least k people (the tenant's anonymity threshold); otherwise nothing. The
texts are the redacted ones; the original stays on the example, inside the team.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.cycles.vocabulary import KKC, OLFA, Expectation
from web.examples.models import ExampleKind
from web.extensions import db
from web.models import TenantScoped, Timestamped, Updated, UtcDateTime, enum_column

MAX_REASON = 1000
TEXT_FIELDS = ("title", "text", "lesson")  # the free text of an entry: redacted, reviewed


class EntryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for HR (new, edited by the team, or flagged by a re-check)
    APPROVED = "approved"  # published to every employee of the tenant
    REJECTED = "rejected"  # not published; back to pending only if the team edits the example


class CollectionEntry(TenantScoped, Timestamped, Updated, db.Model):
    __tablename__ = "collection_entries"
    __table_args__ = (
        UniqueConstraint("example_id"),
        Index("ix_collection_entries_tenant_id_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    example_id: Mapped[int] = mapped_column(ForeignKey("examples.id", ondelete="CASCADE"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="SET NULL"))
    kind: Mapped[ExampleKind] = mapped_column(enum_column(ExampleKind))
    kkc: Mapped[KKC | None] = mapped_column(enum_column(KKC))
    olfa: Mapped[OLFA | None] = mapped_column(enum_column(OLFA))
    # Redacted texts (tokens may make them longer than the example's limits, hence Text).
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    lesson: Mapped[str | None] = mapped_column(Text)
    status: Mapped[EntryStatus] = mapped_column(enum_column(EntryStatus),
                                                default=EntryStatus.PENDING)
    findings_count: Mapped[int] = mapped_column(default=0)  # hits of the automatic redaction
    is_edited: Mapped[bool] = mapped_column(default=False)  # HR changed the redacted text
    # Bumped by every change of the texts, so a review form posted against an older text fails.
    revision: Mapped[int] = mapped_column(default=1)
    # What the entry was compiled from: a team's later edit shows as a newer updated_at.
    source_digest: Mapped[str] = mapped_column(String(64))
    source_updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    compiled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)

    expectation_tags: Mapped[list[CollectionEntryExpectation]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")

    @property
    def expectations(self) -> list[Expectation]:
        return sorted((t.expectation for t in self.expectation_tags), key=list(Expectation).index)


class CollectionEntryExpectation(TenantScoped, db.Model):
    __tablename__ = "collection_entry_expectations"
    __table_args__ = (UniqueConstraint("entry_id", "expectation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("collection_entries.id", ondelete="CASCADE"), index=True)
    expectation: Mapped[Expectation] = mapped_column(enum_column(Expectation))
