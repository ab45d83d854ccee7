"""The complete personal-data export (GDPR art. 15 and 20): a walk over every table.

Rather than a hand-kept list of what to include, the export walks the schema: every column
that refers to ``users.id`` is a *person column*, and every row of the person's tenant with
the person's id in such a column is exported, every column of it (secrets excepted). So a new
table that records something by or about a person is in the export without anyone
remembering it; ``PERSON_COLUMNS`` must still say what erasure does with it, and a test
fails until it does (tests/gdpr/test_export_walk.py), so the export and erasure cover the same
set. The audit log is also searched by the person's identity provider subject (a refused
login has no user link).

The layout (``FORMAT``), added to the readable sections of ``services.export_user_data``::

    "records": {
        "<table>": [
            {"linked_by": ["<person column>", ...], "row": {"<column>": <value>, ...}},
            ...
        ],
        ...
    }

Tables appear in the schema's dependency order, rows by primary key; values are JSON
(timestamps and dates ISO 8601, enums by their value).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Table, or_, select

from web.extensions import db
from web.tenancy import current_tenant_id
from web.users.models import User

FORMAT = "aktorskab-personal-data/2"

# What erasure (services.erase_person) does with each person column. The test of the walk
# compares this with the schema, so a new column cannot be forgotten by either.
PERSON_COLUMNS: dict[tuple[str, str], str] = {
    ("contributions", "author_id"): "unlinked; private texts emptied",
    ("examples", "author_id"): "unlinked",
    ("actions", "owner_id"): "handed to the cycle's leader, else unowned",
    ("cycles", "leader_id"): "unlinked",
    ("cycles", "facilitator_id"): "unlinked",
    ("conclusions", "recorded_by_id"): "unlinked",
    ("cycle_phase_changes", "changed_by_id"): "unlinked",
    ("campaigns", "created_by_id"): "unlinked",
    ("collection_entries", "reviewed_by_id"): "unlinked",
    ("reports", "requested_by_id"): "unlinked",
    ("scim_tokens", "created_by_id"): "unlinked",
    ("sso_versions", "created_by_id"): "unlinked (the version and its audit entries stay)",
    ("sso_versions", "applied_by_id"): "unlinked (the version and its audit entries stay)",
    ("live_meetings", "facilitator_id"): "unlinked",
    ("live_actions", "owner_id"): "unlinked (a proposal of a meeting under way)",
    ("live_attendees", "user_id"): "deleted",
    ("scim_group_members", "user_id"): "deleted",
    ("memberships", "user_id"): "deleted",
    ("tenant_roles", "user_id"): "deleted",
    ("api_tokens", "user_id"): "deleted",
    ("reminder_unsubscribes", "user_id"): "deleted",
    ("reminder_day_slots", "recipient_id"): "deleted",
    ("reminder_outbox", "recipient_id"): "deleted",
    ("participations", "user_id"): "kept: who took part, now pointing at the erased row",
    ("cycle_members", "user_id"): "kept: whom a cycle asked (its member count stays), now "
    "pointing at the erased row",
    ("audit_log", "actor_id"): "kept: the subject replaced by the pseudonym",
}
# Never exported: a secret's digest is no personal data and helps nobody.
EXCLUDED_COLUMNS = {("api_tokens", "token_hash"), ("scim_tokens", "token_hash")}


def person_columns() -> dict[Table, list[Column]]:
    """Every column of the schema that refers to ``users.id``, by table (dependency order)."""
    users = User.__table__
    found: dict[Table, list[Column]] = {}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column is users.c.id for fk in column.foreign_keys):
                found.setdefault(table, []).append(column)
    return found


def records_of(user: User) -> dict[str, list[dict[str, Any]]]:
    """Every row of the current tenant that names ``user`` in a person column."""
    tenant_id = current_tenant_id()
    out: dict[str, list[dict[str, Any]]] = {}
    for table, columns in person_columns().items():
        match = [column == user.id for column in columns]
        if table.name == "audit_log":
            match.append(table.c.subject == user.subject)
        query = select(table).where(or_(*match)).order_by(*table.primary_key.columns)
        if "tenant_id" in table.c:
            # A Core query: the ORM's tenant filter does not see it, so scope it here.
            query = query.where(table.c.tenant_id == tenant_id)
        rows = db.session.execute(query).mappings().all()
        if not rows:
            continue
        out[table.name] = [
            {
                "linked_by": [c.name for c in columns if row[c.name] == user.id] or ["subject"],
                "row": {
                    name: _json(value)
                    for name, value in row.items()
                    if (table.name, name) not in EXCLUDED_COLUMNS
                },
            }
            for row in rows
        ]
    return out


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    return value
