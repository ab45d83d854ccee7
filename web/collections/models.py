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

from web.examples.models import ExampleKind
from web.extensions import db
from web.models import TenantScoped, Timestamped, Updated, UtcDateTime, enum_column
from web.vocabulary import KKC, OLFA, Expectation

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
    status: Mapped[EntryStatus] = mapped_column(
        enum_column(EntryStatus), default=EntryStatus.PENDING
    )
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
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def expectations(self) -> list[Expectation]:
        return sorted((t.expectation for t in self.expectation_tags), key=list(Expectation).index)


class CollectionEntryExpectation(TenantScoped, db.Model):
    __tablename__ = "collection_entry_expectations"
    __table_args__ = (UniqueConstraint("entry_id", "expectation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("collection_entries.id", ondelete="CASCADE"), index=True
    )
    expectation: Mapped[Expectation] = mapped_column(enum_column(Expectation))


class FindingDecision(enum.StrEnum):
    REDACT = "redact"  # HR: the possible finding is personal data, replaced by [navn]
    KEEP = "keep"  # HR: not personal data (a place, a word), stays as written


class EntryDecision(TenantScoped, db.Model):
    """HR's decision on one possible finding of an entry (issue 13): remembered per entry, for
    the phrase as found in that field, so a later review does not ask again."""

    __tablename__ = "collection_entry_decisions"
    __table_args__ = (UniqueConstraint("entry_id", "field", "phrase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("collection_entries.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(16))
    phrase: Mapped[str] = mapped_column(String(200))
    decision: Mapped[FindingDecision] = mapped_column(enum_column(FindingDecision))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ErasedName(TenantScoped, db.Model):
    """A salted hash of a name form of an erased person (issue 13): their names stay redacted
    without the name being kept. The salt is per tenant (tenant settings "redaction_salt")."""

    __tablename__ = "redaction_erased_names"
    __table_args__ = (UniqueConstraint("tenant_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
