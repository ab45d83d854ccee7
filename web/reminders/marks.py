"""The delivery's writes per e-mail: "handed over" before the final ".", "sent" carried along.

See ``delivery`` for where they happen in the SMTP conversation, and
``services.release_expired`` for what a worker's death leaves behind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.orm.attributes import set_committed_value

from web.extensions import db
from web.models import UtcDateTime
from web.reminders.models import OutboxStatus, ReminderOutbox

# Plain SQL, built once: a Core UPDATE with CASE costs more to build per e-mail than to run.
# The ids are rows this chunk claimed through the scoped ORM; tenant_id is checked anyway, and
# row-level security applies as to every statement of the session.
_HAND_OVER = (
    "UPDATE reminder_outbox SET message_id = :message_id, updated_at = :now "
    "WHERE id = :id AND tenant_id = :tenant_id"
)
_HAND_OVER_AND_SENT = (
    "UPDATE reminder_outbox SET updated_at = :now, "
    "message_id = CASE WHEN id = :id THEN :message_id ELSE message_id END, "
    "status = CASE WHEN id = :id THEN status ELSE 'sent' END, "
    "sent_at = CASE WHEN id = :id THEN sent_at ELSE :now END, "
    "claimed_until = CASE WHEN id = :id THEN claimed_until END, "
    "last_error = CASE WHEN id = :id THEN last_error END "
    "WHERE {ids} AND tenant_id = :tenant_id"
)
_SENT = (
    "UPDATE reminder_outbox SET updated_at = :now, status = 'sent', sent_at = :now, "
    "claimed_until = NULL, last_error = NULL WHERE {ids} AND tenant_id = :tenant_id"
)


def _statements(postgresql: bool) -> dict[str, object]:
    # ``:now`` typed, so SQLite stores it as every UtcDateTime column is stored (UTC, one
    # text format), not as pysqlite's default adapter would.
    now = bindparam("now", type_=UtcDateTime)
    if postgresql:
        # The ids as one array parameter (an expanding IN is re-rendered for every call), and
        # SET LOCAL synchronous_commit carried by the UPDATE itself: one round trip less per
        # e-mail; it only has to be in place when the COMMIT comes.
        ids, suffix = "id = ANY(:ids)", " RETURNING set_config('synchronous_commit', 'off', true)"
        return {
            "hand_over": text(_HAND_OVER + suffix).bindparams(now),
            "hand_over_and_sent": text(_HAND_OVER_AND_SENT.format(ids=ids) + suffix).bindparams(
                now
            ),
            "sent": text(_SENT.format(ids=ids) + suffix).bindparams(now),
        }
    expanding = bindparam("ids", expanding=True)
    return {
        "hand_over": text(_HAND_OVER).bindparams(now),
        "hand_over_and_sent": text(_HAND_OVER_AND_SENT.format(ids="id IN :ids")).bindparams(
            expanding, now
        ),
        "sent": text(_SENT.format(ids="id IN :ids")).bindparams(expanding, now),
    }


_STATEMENTS = {dialect: _statements(dialect == "postgresql") for dialect in ("postgresql", "")}


class Marks:
    """The chunk's per-e-mail writes: one short transaction per e-mail, the hand-over.

    "Sent" (the server's 250) is not a transaction of its own: each hand-over carries the
    "sent" of the rows accepted since the previous one, and the chunk's end (or a stop) writes
    the rest. A row whose 250 came but whose "sent" was not written yet (the worker died) was
    handed over, so ``services.release_expired`` counts it as sent, never sends it again.

    The marks go through the session (its tenancy hooks set the tenant for row-level security
    in each transaction) on one connection held for the chunk: checking one out of the pool
    for each e-mail cost a ping and a fifth of the worker's time.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._accepted: list[ReminderOutbox] = []
        bind = db.session.get_bind()
        self._statements = _STATEMENTS.get(bind.dialect.name, _STATEMENTS[""])
        # A session bound to a connection already (tests) keeps using it.
        self._held: Connection | None = bind.connect() if isinstance(bind, Engine) else None

    def hand_over(self, row: ReminderOutbox, message_id: str) -> None:
        """Commit ``row``'s Message-ID as handed over (and the accepted rows as sent)."""
        values = {
            "id": row.id,
            "message_id": message_id,
            "now": self.now,
            "tenant_id": row.tenant_id,
        }
        if self._accepted:
            self._commit("hand_over_and_sent", {**values, "ids": [row.id, *self._ids()]})
        else:
            self._commit("hand_over", values)
        set_committed_value(row, "message_id", message_id)
        self._done()

    def accepted(self, row: ReminderOutbox) -> None:
        self._accepted.append(row)

    def flush(self) -> None:
        """Commit "sent" for the accepted rows not yet written."""
        if self._accepted:
            self._commit(
                "sent",
                {"ids": self._ids(), "now": self.now, "tenant_id": self._accepted[0].tenant_id},
            )
            self._done()

    def close(self) -> None:
        if self._held is not None:
            if db.session().in_transaction():
                db.session.rollback()  # only on the way out of an error: marks commit at once
            self._held.close()
            self._held = None

    def _commit(self, name: str, parameters: dict) -> None:
        # Not waiting for the disk: a worker's death loses nothing committed this way; only a
        # crash of PostgreSQL itself could lose the last fraction of a second of marks.
        bind = None
        if self._held is not None:
            if db.session().in_transaction():
                # Reads since the last mark (the batch, a digest's figures) hold a pooled
                # connection; a session takes one connection per engine and transaction.
                db.session.commit()
            bind = {"bind": self._held}
        # The session's connection (its transaction begun through the tenancy hook), then the
        # statement straight on it: session.execute's ORM layer has nothing to do for plain SQL.
        db.session.connection(bind_arguments=bind).execute(self._statements[name], parameters)
        db.session.commit()

    def _ids(self) -> list[int]:
        return [r.id for r in self._accepted]

    def _done(self) -> None:
        for row in self._accepted:
            set_committed_value(row, "status", OutboxStatus.SENT)
            set_committed_value(row, "sent_at", self.now)
        self._accepted.clear()
