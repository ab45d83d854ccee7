"""Delivery: claim a chunk of due outbox rows, send them over one SMTP connection, record each.

1. Claim (one short transaction): pick up to REMINDER_CHUNK_SIZE due pending rows with
   ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite serialises writers anyway), take each row's
   day slot (at most one reminder of a kind per person per cycle per day; a row whose slot is
   taken waits for the next working day), mark the rest ``sending`` with a lease
   (``claimed_until``) and one more attempt, commit.
2. Send: for each row, check it is still relevant (else ``cancelled`` with the reason), render it
   in the recipient's language (``mail.Composer``: each distinct text once per chunk), and hand
   it to the SMTP server. A temporary failure goes back to ``pending`` with exponential
   back-off; a permanent refusal (5xx) or the last attempt ends ``failed``, visible on the
   failed page. Right before the final "." of DATA (the moment the server takes the message
   over) the row's Message-ID is committed as handed over: a row handed over is never handed
   over again, also when the worker dies (or the connection breaks) before the server's "250".
   Such a row counts as sent, with "in doubt" in ``last_error`` (see
   ``services.release_expired``); without this a worker killed in that window sent it twice.
   ``sent`` for the rows the server accepted rides along with the next hand-over's commit and
   the chunk's last one (``Marks``): one transaction per e-mail, not two.
3. Stop early (rows back to pending, attempt not counted) when the connection breaks or half
   the lease has gone, so a claim never outlives its lease while this worker still works on it.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from web.extensions import db
from web.reminders import mail
from web.reminders.batch import irrelevance, letter_for, load_batch
from web.reminders.cadence import SendWindow, local_day, next_day_send_time, retry_time
from web.reminders.marks import Marks
from web.reminders.models import Channel, OutboxStatus, ReminderDaySlot, ReminderOutbox
from web.reminders.services import send_window

ERROR_LENGTH = 1000
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    chunk_size: int
    lease: timedelta
    max_attempts: int
    retry_seconds: int
    window: SendWindow
    smtp_host: str
    smtp_port: int
    smtp_tls: bool
    smtp_username: str | None
    smtp_password: str | None

    @classmethod
    def from_config(cls) -> Settings:
        c = current_app.config
        return cls(
            c["REMINDER_CHUNK_SIZE"],
            timedelta(seconds=c["REMINDER_LEASE_SECONDS"]),
            c["REMINDER_MAX_ATTEMPTS"],
            c["REMINDER_RETRY_SECONDS"],
            send_window(),
            c["SMTP_HOST"],
            c["SMTP_PORT"],
            c["SMTP_USE_TLS"],
            c.get("SMTP_USERNAME"),
            c.get("SMTP_PASSWORD"),
        )


@dataclass
class Outcome:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    postponed: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)


# --- 1. claim -----------------------------------------------------------------------------------


def claim(tenant_id: int, now: datetime, settings: Settings) -> tuple[list[int], int]:
    """Claim a chunk; returns (claimed ids, number postponed to another day). Commits."""
    candidates = due_ids(tenant_id, now, Channel.EMAIL, settings)  # Teams: web.teams.delivery
    if not candidates:
        db.session.commit()
        return [], 0
    day = local_day(now)
    _take_day_slots(tenant_id, candidates, day)
    holders = set(
        db.session.scalars(
            select(ReminderDaySlot.outbox_id).where(
                ReminderDaySlot.outbox_id.in_(candidates), ReminderDaySlot.day == day
            )
        )
    )
    claimed = [i for i in candidates if i in holders]
    waiting = [i for i in candidates if i not in holders]
    if claimed:
        claimed = take_pending(claimed, now, settings)
    if waiting:
        db.session.execute(
            update(ReminderOutbox)
            .where(ReminderOutbox.id.in_(waiting), ReminderOutbox.status == OutboxStatus.PENDING)
            .values(
                next_attempt_at=next_day_send_time(now, settings.window),
                updated_at=now,
                last_error="waiting: one reminder of this kind for this cycle per day",
            )
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return claimed, len(waiting)


def due_ids(tenant_id: int, now: datetime, channel: Channel, settings: Settings) -> list[int]:
    """Up to a chunk of ``tenant_id``'s pending ``channel`` rows that are due, oldest due first,
    locked (rows another worker holds are skipped)."""
    return list(
        db.session.scalars(
            select(ReminderOutbox.id)
            .where(
                ReminderOutbox.tenant_id == tenant_id,
                ReminderOutbox.status == OutboxStatus.PENDING,
                ReminderOutbox.next_attempt_at <= now,
                ReminderOutbox.channel == channel,
            )
            # The index (tenant_id, status, next_attempt_at) gives this order as it is: 0.2 ms for
            # 200 of 50,000 due rows. With ", id" added PostgreSQL read and sorted all of them for
            # every chunk (30 ms, spilling to disk); equal times come in the order the rows were
            # written, which is the planner's (id) order anyway.
            .order_by(ReminderOutbox.next_attempt_at)
            .limit(settings.chunk_size)
            .with_for_update(skip_locked=True)
        )
    )


def take_pending(ids: list[int], now: datetime, settings: Settings) -> list[int]:
    """Those of ``ids`` still pending become ``sending`` under a lease, sorted. "status =
    pending" again: on SQLite (no row locks) a second worker may have selected the same rows;
    whoever updates first owns them."""
    return sorted(
        db.session.scalars(
            update(ReminderOutbox)
            .where(ReminderOutbox.id.in_(ids), ReminderOutbox.status == OutboxStatus.PENDING)
            .values(
                status=OutboxStatus.SENDING,
                attempts=ReminderOutbox.attempts + 1,
                claimed_until=now + settings.lease,
                updated_at=now,
            )
            .returning(ReminderOutbox.id)
            .execution_options(synchronize_session=False)
        )
    )


def _take_day_slots(tenant_id: int, outbox_ids: list[int], day) -> None:
    """One INSERT … SELECT: a slot that is taken (by an earlier row, or by another row of this
    very chunk) is skipped; a row retried on the same day already holds its own slot."""
    o = ReminderOutbox
    cycle_or_zero = db.func.coalesce(o.cycle_id, 0)
    # In slot order: two chunks taking overlapping slots wait for each other, never deadlock.
    rows = (
        select(
            o.tenant_id,
            o.recipient_id,
            o.kind,
            cycle_or_zero,
            db.literal(day, ReminderDaySlot.day.type),
            o.id,
        )
        .where(o.tenant_id == tenant_id, o.id.in_(outbox_ids))
        .order_by(o.recipient_id, o.kind, cycle_or_zero, o.id)
    )
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(ReminderDaySlot.__table__)
        .from_select(["tenant_id", "recipient_id", "kind", "cycle_id", "day", "outbox_id"], rows)
        .on_conflict_do_nothing(index_elements=["recipient_id", "kind", "cycle_id", "day"])
    )


# --- 2. send ------------------------------------------------------------------------------------

Connect = Callable[[Settings], smtplib.SMTP]


def connect(settings: Settings) -> smtplib.SMTP:
    timeout = max(5.0, min(30.0, settings.lease.total_seconds() / 8))
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    # send() writes the message and its final "." separately: without TCP_NODELAY, Nagle's
    # algorithm holds the "." until the server's delayed ACK (40 ms): 47 ms a message, not 1.
    smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if settings.smtp_tls:
        smtp.starttls()
    if settings.smtp_username:
        smtp.login(settings.smtp_username, settings.smtp_password or "")
    return smtp


def deliver_chunk(
    tenant_id: int,
    now: datetime,
    settings: Settings | None = None,
    connect_to: Connect = connect,
    clock: Callable[[], float] = time.monotonic,
) -> Outcome:
    """Claim and send one chunk of ``tenant_id``'s due reminders. Commits as it goes."""
    settings = settings or Settings.from_config()
    outcome = Outcome()
    ids, outcome.postponed = claim(tenant_id, now, settings)
    outcome.claimed = len(ids)
    if not ids:
        return outcome
    started = clock()
    batch = load_batch(tenant_id, ids)
    links = mail.Links()
    composer = mail.Composer(links, now)
    marks = Marks(now)
    smtp: smtplib.SMTP | None = None
    try:
        for index, row in enumerate(batch.rows):
            if clock() - started > settings.lease.total_seconds() / 2:
                outcome.released += release(batch.rows[index:], now, "lease half over")
                break
            reason = irrelevance(row, batch, now)
            if reason is not None:
                cancel(row, reason, now)
                outcome.cancelled += 1
                continue
            try:
                message = composer.compose(letter_for(row, batch, links, now))
            except mail.UnsupportedAddress as exc:  # retrying cannot help: failed at once
                failed_attempt(row, f"address: {exc}", now, settings, True, outcome)
                continue
            except Exception as exc:  # a template or data bug: visible, retried, then failed
                log.exception("reminder %s could not be rendered", row.id)
                failed_attempt(row, f"render: {exc!r}", now, settings, False, outcome)
                continue
            handover = Handover(row, message.message_id, marks)
            try:
                if smtp is None:
                    smtp = connect_to(settings)
                send(smtp, message, handover)
            except smtplib.SMTPResponseException as exc:
                permanent = 500 <= exc.smtp_code < 600
                failed_attempt(
                    row, f"{exc.smtp_code} {exc.smtp_error!r}", now, settings, permanent, outcome
                )
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                failed_attempt(
                    row,
                    f"refused: {exc.recipients!r}",
                    now,
                    settings,
                    all(500 <= c < 600 for c in codes),
                    outcome,
                )
            except (OSError, smtplib.SMTPException) as exc:
                # The connection itself is gone (or never came): this row counts as tried,
                # the rest of the chunk goes back untouched.
                if handover.done:
                    # After the final ".": the server may have it. Never twice (see above).
                    mark_sent(row, handover.message_id, now, in_doubt=f"connection: {exc!r}")
                    outcome.sent += 1
                else:
                    failed_attempt(row, f"connection: {exc!r}", now, settings, False, outcome)
                outcome.errors.append(repr(exc))
                # Not before the tried row: hammering a server that is down helps nobody.
                outcome.released += release(
                    batch.rows[index + 1 :], now, repr(exc), not_before=row.next_attempt_at
                )
                smtp = None
                break
            else:
                marks.accepted(row)
                outcome.sent += 1
    finally:
        _flush_or_leave_in_doubt(marks)
        marks.close()
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    return outcome


def _flush_or_leave_in_doubt(marks: Marks) -> None:
    try:
        marks.flush()
    except Exception:
        # The database is gone (or the session broke with the error on its way out): the
        # rows stay handed over, which release_expired counts as sent ("in doubt").
        log.exception("could not record sent reminders")
        db.session.rollback()


_OUTBOX = ReminderOutbox.__table__


class Handover:
    """Commits "handed over" (the Message-ID) right before the final "." of one message."""

    def __init__(self, row: ReminderOutbox, message_id: str, marks: Marks) -> None:
        self.row, self.message_id, self.marks = row, message_id, marks
        self.done = False

    def __call__(self) -> None:
        self.marks.hand_over(self.row, self.message_id)
        self.done = True


_LEADING_DOT = re.compile(rb"(?m)^\.")


def send(smtp: smtplib.SMTP, message: mail.Outgoing, handing_over: Callable[[], None]) -> None:
    """``smtp.sendmail(...)`` for one recipient, pausing before the final ".".

    The same SMTP conversation as smtplib's (MAIL, RCPT, DATA, the message, "."), the same
    exceptions; ``handing_over`` runs after the server agreed to take the data and before the
    "." that makes it the server's.
    """
    sender, recipient, data = message.sender, message.recipient, message.data
    smtp.ehlo_or_helo_if_needed()
    international = not (sender.isascii() and recipient.isascii())
    if international and not smtp.has_extn("smtputf8"):
        raise smtplib.SMTPNotSupportedError(
            "an address needs SMTPUTF8, which the server does not offer"
        )
    options = ["SMTPUTF8", "BODY=8BITMIME"] if international else []
    if international:
        smtp.command_encoding = "utf-8"  # as smtp.mail() does for SMTPUTF8
    if smtp.does_esmtp and smtp.has_extn("size"):
        options.append(f"size={len(data)}")
    # smtp.mail() and smtp.rcpt() without their address parsing (the addresses are plain).
    code, reply = smtp.docmd("mail", " ".join([f"FROM:<{sender}>", *options]))
    if code != 250:
        if code == 421:
            smtp.close()
        else:
            smtp.rset()
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    code, reply = smtp.docmd("rcpt", f"TO:<{recipient}>")
    if code not in (250, 251):
        smtp.rset()
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    code, reply = smtp.docmd("data")
    if code != 354:
        smtp.rset()
        raise smtplib.SMTPDataError(code, reply)
    data = _LEADING_DOT.sub(b"..", data)
    smtp.send(data if data.endswith(b"\r\n") else data + b"\r\n")
    handing_over()
    smtp.send(b".\r\n")
    code, reply = smtp.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def commit_fast(statement) -> None:
    """One plain UPDATE and its commit, not waiting for the disk (see ``Marks._commit``)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.session.execute(statement)
    db.session.commit()


def mark_sent(
    row: ReminderOutbox, message_id: str, now: datetime, in_doubt: str | None = None
) -> None:
    """Commit 'sent' for one row at once (see ``commit_fast``).

    ``in_doubt``: the server's answer to the final "." never came; the message counts as sent.
    """
    note = (
        f"in doubt: handed to the server, no answer ({in_doubt})"[:ERROR_LENGTH]
        if in_doubt
        else None
    )
    commit_fast(
        update(_OUTBOX)
        .where(_OUTBOX.c.id == row.id)
        .values(
            status=OutboxStatus.SENT.value,
            sent_at=now,
            claimed_until=None,
            last_error=note,
            message_id=message_id,
            updated_at=now,
        )
    )
    set_committed_value(row, "status", OutboxStatus.SENT)


def cancel(row: ReminderOutbox, reason: str, now: datetime) -> None:
    row.status = OutboxStatus.CANCELLED
    row.claimed_until = None
    row.last_error = reason
    # The day slot was not used: free it for another reminder of the kind today.
    db.session.execute(
        ReminderDaySlot.__table__.delete().where(ReminderDaySlot.outbox_id == row.id)
    )
    db.session.commit()


def failed_attempt(
    row: ReminderOutbox,
    error: str,
    now: datetime,
    settings: Settings,
    permanent: bool,
    outcome: Outcome,
) -> None:
    row.last_error = error[:ERROR_LENGTH]
    row.claimed_until = None
    row.message_id = None  # refused: not the server's, may go again
    if permanent or row.attempts >= settings.max_attempts:
        row.status = OutboxStatus.FAILED
        outcome.failed += 1
    else:
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = retry_time(now, row.attempts, settings.retry_seconds, settings.window)
        outcome.retried += 1
    db.session.commit()


def release(
    rows: list[ReminderOutbox], now: datetime, why: str, not_before: datetime | None = None
) -> int:
    """Give claimed, untried rows back: pending again, the attempt not counted."""
    ids = [r.id for r in rows if r.status == OutboxStatus.SENDING]
    if ids:
        db.session.execute(
            update(ReminderOutbox)
            .where(ReminderOutbox.id.in_(ids), ReminderOutbox.status == OutboxStatus.SENDING)
            .values(
                status=OutboxStatus.PENDING,
                attempts=ReminderOutbox.attempts - 1,
                claimed_until=None,
                next_attempt_at=not_before or now,
                updated_at=now,
                last_error=f"released: {why}"[:ERROR_LENGTH],
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return len(ids)
