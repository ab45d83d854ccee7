"""Compilation: the tenant's offered examples become entries for HR's review.

One entry per offered example: no author, no team (only the area, when it has at least k
people), the texts redacted with the tenant's directory (names incl. genitives, e-mails, phones,
CPR). The Redactor is built once per run. A team's edit (a new text) sends the entry back to
review; an entry whose text the current directory still finds something in goes back too;
a withdrawn offer deletes the entry. Flushes; the task (or command) commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import aliased

from web.collections.directory import directory_redactor
from web.collections.models import (
    TEXT_FIELDS,
    CollectionEntry,
    CollectionEntryExpectation,
    EntryStatus,
)
from web.collections.redaction import Redactor
from web.examples.models import Example
from web.extensions import db
from web.models import utcnow
from web.orgs.models import Membership, OrgUnit, UnitKind
from web.tenancy import current_tenant_id, tenant_lock
from web.tenants.models import Tenant
from web.users.models import User


@dataclass
class CompileResult:
    offered: int = 0  # offered examples seen
    created: int = 0  # new entries (pending)
    changed: int = 0  # the team edited the example: redacted again, back to review
    flagged: int = 0  # the current directory found something in an entry's text: back to review
    withdrawn: int = 0  # the offer was withdrawn: entry deleted
    directory: int = 0  # name forms in the redactor

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def compile_collection(progress: Callable[[int, int], None] | None = None) -> CompileResult:
    """Bring the current tenant's entries in line with its offered examples. Flushes.

    ``progress(done, total)`` is called after each example. The Redactor is built once here.
    """
    tenant = db.session.get(Tenant, current_tenant_id())
    if tenant is None:  # deleted since the task was queued
        return CompileResult()
    tenant_lock("collection")
    redactor = directory_redactor()
    examples = list(
        db.session.scalars(select(Example).where(Example.is_offered).order_by(Example.id))
    )
    entries = {e.example_id: e for e in db.session.scalars(select(CollectionEntry))}
    areas = shown_areas({ex.unit_id for ex in examples}, tenant.k_threshold)
    result = CompileResult(offered=len(examples), directory=redactor.patterns)
    now = utcnow()
    for done, example in enumerate(examples, 1):
        entry = entries.pop(example.id, None)
        if entry is None:
            entry = CollectionEntry(example_id=example.id, compiled_at=now)
            _redact_into(entry, example, redactor)
            db.session.add(entry)
            result.created += 1
        elif entry.source_digest != _digest(example):
            _redact_into(entry, example, redactor)
            entry.compiled_at = now
            result.changed += 1
        elif entry.status != EntryStatus.REJECTED and _recheck(entry, redactor):
            result.flagged += 1
        _classify(entry, example, areas.get(example.unit_id))
        entry.source_updated_at = example.updated_at
        if progress:
            progress(done, len(examples))
    for entry in entries.values():  # offers withdrawn (deleted examples cascade on their own)
        db.session.delete(entry)
        result.withdrawn += 1
    db.session.flush()
    return result


def _digest(example: Example) -> str:
    source = "\x1f".join((example.title, example.text, example.lesson or ""))
    return hashlib.sha256(source.encode()).hexdigest()


def _redact_into(entry: CollectionEntry, example: Example, redactor: Redactor) -> None:
    """(Re)build the entry's texts from the example: redacted, pending, HR's edits dropped."""
    findings = 0
    for name in TEXT_FIELDS:
        original = getattr(example, name)
        redacted = redactor.redact(original) if original else None
        setattr(entry, name, redacted.text if redacted else original)
        findings += len(redacted.findings) if redacted else 0
    entry.findings_count = findings
    entry.source_digest = _digest(example)
    entry.status = EntryStatus.PENDING
    entry.is_edited = False
    entry.reviewed_at = entry.reviewed_by_id = entry.rejection_reason = None
    entry.revision = (entry.revision or 0) + 1


def _recheck(entry: CollectionEntry, redactor: Redactor) -> bool:
    """Redact the entry's own text again (the directory may have grown); True if it found any.

    What it finds is replaced at once and the entry goes back to review.
    """
    found = False
    for name in TEXT_FIELDS:
        value = getattr(entry, name)
        if value and (redacted := redactor.redact(value)).findings:
            setattr(entry, name, redacted.text)
            found = True
    if found:
        entry.status = EntryStatus.PENDING
        entry.reviewed_at = entry.reviewed_by_id = None
        entry.revision += 1
    return found


def _classify(entry: CollectionEntry, example: Example, area_id: int | None) -> None:
    """Kind, KKC, OLFA, expectations and area follow the example (no free text: no review)."""
    entry.kind, entry.kkc, entry.olfa, entry.area_id = (
        example.kind,
        example.kkc,
        example.olfa,
        area_id,
    )
    wanted = set(example.expectations)
    for tag in [t for t in entry.expectation_tags if t.expectation not in wanted]:
        entry.expectation_tags.remove(tag)
    kept = {t.expectation for t in entry.expectation_tags}
    entry.expectation_tags.extend(
        CollectionEntryExpectation(expectation=e) for e in example.expectations if e not in kept
    )


def shown_areas(unit_ids: Iterable[int], k: int) -> dict[int, int | None]:
    """unit id → its nearest area (itself if an area), or None when it has none or the area has
    fewer than k people (then the area itself could point at someone). Two queries."""
    ids = list(unit_ids)
    if not ids:
        return {}
    parent = aliased(OrgUnit)
    up = (
        select(
            OrgUnit.id.label("unit_id"),
            OrgUnit.id.label("ancestor_id"),
            OrgUnit.parent_id.label("parent_id"),
            OrgUnit.kind.label("kind"),
            literal(0).label("depth"),
        )
        .where(OrgUnit.id.in_(ids))
        .cte("up", recursive=True)
    )
    up = up.union_all(
        select(up.c.unit_id, parent.id, parent.parent_id, parent.kind, up.c.depth + 1).where(
            parent.id == up.c.parent_id
        )
    )
    nearest: dict[int, int] = {}
    for unit_id, area_id in db.session.execute(
        select(up.c.unit_id, up.c.ancestor_id)
        .where(up.c.kind == UnitKind.AREA)
        .order_by(up.c.unit_id, up.c.depth.desc())
    ):
        nearest[unit_id] = area_id  # deepest last: the nearest area wins
    big_enough = _areas_with_people(set(nearest.values()), k)
    return {u: (nearest[u] if nearest.get(u) in big_enough else None) for u in ids}


def _areas_with_people(area_ids: set[int], k: int) -> set[int]:
    if not area_ids:
        return set()
    child = aliased(OrgUnit)
    down = (
        select(OrgUnit.id.label("area_id"), OrgUnit.id.label("unit_id"))
        .where(OrgUnit.id.in_(area_ids))
        .cte("down", recursive=True)
    )
    down = down.union_all(select(down.c.area_id, child.id).where(child.parent_id == down.c.unit_id))
    rows = db.session.execute(
        select(down.c.area_id)
        .join(Membership, Membership.unit_id == down.c.unit_id)
        .join(User, and_(User.id == Membership.user_id, User.is_active.is_(True)))
        .group_by(down.c.area_id)
        .having(func.count(func.distinct(Membership.user_id)) >= k)
    )
    return set(rows.scalars())
