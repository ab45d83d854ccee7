"""Examples of aktørskab: good ones, and lessons from ones that did not go as expected."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.extensions import db
from web.models import TenantScoped, Timestamped, Updated, UtcDateTime, enum_column
from web.vocabulary import KKC, OLFA, Expectation

MAX_TITLE = 200
MAX_TEXT = 4000


class ExampleKind(enum.StrEnum):
    GOOD = "good"  # godt eksempel
    LESSON = "lesson"  # aktørskab der ikke gik som forventet, og læringen


class Example(TenantScoped, Timestamped, Updated, db.Model):
    """Kept in the team, or offered for cross-team sharing (explicit consent).

    Nothing leaves the team before it is redacted and approved by HR (the collections).
    """

    __tablename__ = "examples"
    __table_args__ = (
        Index("ix_examples_tenant_id_unit_id", "tenant_id", "unit_id"),
        Index("ix_examples_tenant_id_offered_at", "tenant_id", "offered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[ExampleKind] = mapped_column(enum_column(ExampleKind))
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    text: Mapped[str] = mapped_column(Text)
    lesson: Mapped[str | None] = mapped_column(Text)
    kkc: Mapped[KKC | None] = mapped_column(enum_column(KKC))
    olfa: Mapped[OLFA | None] = mapped_column(enum_column(OLFA))
    offered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the author's consent

    expectation_tags: Mapped[list[ExampleExpectation]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @hybrid_property
    def is_offered(self) -> bool:
        """Offered for sharing: since the moment of the consent, until it is withdrawn."""
        return self.offered_at is not None

    @is_offered.inplace.expression
    @classmethod
    def _is_offered_expression(cls) -> ColumnElement[bool]:
        return cls.offered_at.is_not(None)

    @property
    def expectations(self) -> list[Expectation]:
        return sorted((t.expectation for t in self.expectation_tags), key=list(Expectation).index)


class ExampleExpectation(TenantScoped, db.Model):
    __tablename__ = "example_expectations"
    __table_args__ = (UniqueConstraint("example_id", "expectation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    example_id: Mapped[int] = mapped_column(
        ForeignKey("examples.id", ondelete="CASCADE"), index=True
    )
    expectation: Mapped[Expectation] = mapped_column(enum_column(Expectation))
