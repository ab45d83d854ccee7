"""Hovedudvalg reports and the log of every run that generated one.

The finished HTML and PDF are stored in the database, not under INSTANCE_PATH: the web, worker
and beat processes may run in different containers or on different machines (docker-compose
runs them as separate services) and share only the database; the bytes commit in the same
transaction as the report's status, so a report is never "done" with a half-written file; they
are scoped to the tenant like every row, and go when the tenant goes. A report is a few hundred
kilobytes and a tenant makes a handful a year. The big columns are deferred, so lists of reports
never load them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.extensions import db
from web.models import TenantScoped, Timestamped, UtcDateTime, enum_column


class ReportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ReportTrigger(enum.StrEnum):
    SCHEDULED = "scheduled"  # before a Hovedudvalg meeting (tenant.settings["hu_meeting_dates"])
    ON_DEMAND = "on_demand"  # requested by HR


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Report(TenantScoped, Timestamped, db.Model):
    """One anonymised report for one period.

    ``published_rows`` holds, per shown row, the people and org units it covered and the cells
    it showed, for the exact audit of later reports (``web.reports.anonymity``);
    ``published_groups`` the people sets alone (kept for reports made before). Both hold
    person ids: never render them, export them or log them.
    """

    __tablename__ = "reports"
    # One scheduled report per meeting; on-demand reports have no meeting (NULLs are distinct).
    __table_args__ = (UniqueConstraint("tenant_id", "meeting_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    meeting_on: Mapped[date | None] = mapped_column(Date)
    trigger: Mapped[ReportTrigger] = mapped_column(enum_column(ReportTrigger))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    locale: Mapped[str] = mapped_column(String(5), default="da")
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus), default=ReportStatus.QUEUED
    )
    progress: Mapped[int] = mapped_column(default=0)  # percent, updated while the task runs
    error: Mapped[str | None] = mapped_column(Text)  # technical, never data
    k_threshold: Mapped[int | None] = mapped_column()  # the k the report was made with
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    html: Mapped[str | None] = mapped_column(Text, deferred=True)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    published_groups: Mapped[list[list[int]] | None] = mapped_column(JSON, deferred=True)
    # Per row: {"key", "people": [person ids], "parts": [org unit ids], "cells": {name: value},
    # "hidden": [names]}: what the exact audit of later overlapping reports needs. Person ids:
    # never render, export or log them.
    published_rows: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, deferred=True)

    runs: Mapped[list[ReportRun]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportRun.id"
    )


class ReportRun(TenantScoped, db.Model):
    """One execution of the generator: when, how long, how much it read, how it ended.

    ``counts`` holds numbers only (units, people, cycles, actions, examples, entries, rows shown,
    units merged, sizes), never ids or names.
    """

    __tablename__ = "report_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus), default=RunStatus.RUNNING)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    duration_ms: Mapped[int | None] = mapped_column()
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)

    report: Mapped[Report] = relationship(back_populates="runs")
