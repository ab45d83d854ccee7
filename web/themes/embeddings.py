"""Vectors of the published entries only: approved, redacted, as HR approved them.

An entry is embedded when HR approves or edits it (a worker task queued after the commit) and
by the backfill (CLI and beat); an entry that is no longer approved loses its vector at once, so
nothing unapproved is ever searched, clustered or counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import Select, delete, or_, select

from web.collections.models import CollectionEntry, EntryStatus
from web.collections.services import published_filter
from web.examples.models import Example
from web.extensions import db
from web.models import utcnow
from web.themes import model
from web.themes.models import EntryEmbedding

BATCH = 256  # texts per call of the model (dealt out to its threads), then one flush


def entry_text(entry: CollectionEntry) -> str:
    return "\n".join(t for t in (entry.title, entry.text, entry.lesson) if t)


def embed_entry(entry_id: int) -> bool:
    """Embed one entry of the current tenant if it is approved; drop its vector otherwise.
    True when a vector was written."""
    entry = db.session.get(CollectionEntry, entry_id)
    if entry is None or entry.status != EntryStatus.APPROVED:
        db.session.execute(delete(EntryEmbedding).where(EntryEmbedding.entry_id == entry_id))
        return False
    _store([entry], model.passages([entry_text(entry)]))
    return True


def stale_entries() -> Select:
    """Approved entries without a current vector (none, an older revision or model)."""
    return (
        select(CollectionEntry)
        .outerjoin(EntryEmbedding, EntryEmbedding.entry_id == CollectionEntry.id)
        .where(
            CollectionEntry.status == EntryStatus.APPROVED,
            or_(
                EntryEmbedding.id.is_(None),
                EntryEmbedding.model_version != model.MODEL_VERSION,
                EntryEmbedding.revision != CollectionEntry.revision,
            ),
        )
        .order_by(CollectionEntry.id)
    )


def backfill(progress: Callable[[int, int], None] | None = None) -> int:
    """Embed every approved entry of the current tenant whose vector is missing or stale, and
    drop the vectors of entries no longer approved. Entries of the same text (whitespace aside)
    share one embedding. Flushes per batch; returns the count of entries given a vector."""
    db.session.execute(
        delete(EntryEmbedding).where(
            EntryEmbedding.entry_id.in_(
                select(CollectionEntry.id).where(CollectionEntry.status != EntryStatus.APPROVED)
            )
        )
    )
    entries = list(db.session.scalars(stale_entries()))
    texts = [model.normalised(entry_text(e)) for e in entries]
    done: dict[str, np.ndarray] = {}  # each distinct text of the run embedded once
    for start in range(0, len(entries), BATCH):
        batch, batch_texts = entries[start : start + BATCH], texts[start : start + BATCH]
        new = [t for t in dict.fromkeys(batch_texts) if t not in done]
        done.update(zip(new, model.passages(new), strict=True))
        _store(batch, np.vstack([done[t] for t in batch_texts]))
        if progress:
            progress(start + len(batch), len(entries))
    if progress and not entries:
        progress(0, 0)
    return len(entries)


def _store(entries: Sequence[CollectionEntry], vectors: np.ndarray) -> None:
    existing = {
        e.entry_id: e
        for e in db.session.scalars(
            select(EntryEmbedding).where(EntryEmbedding.entry_id.in_([e.id for e in entries]))
        )
    }
    for entry, vector in zip(entries, vectors, strict=True):
        row = existing.get(entry.id) or EntryEmbedding(entry_id=entry.id)
        row.model_version = model.MODEL_VERSION
        row.revision = entry.revision
        row.vector = model.to_bytes(vector)
        row.embedded_at = utcnow()
        db.session.add(row)
    db.session.flush()


def published_vectors(entry_ids: Sequence[int] | None = None) -> tuple[list[int], np.ndarray]:
    """The ids and vector matrix of the current tenant's published entries (current vectors
    only: an entry edited since its vector was made waits for its task, it is not guessed)."""
    stmt = (
        select(EntryEmbedding.entry_id, EntryEmbedding.vector)
        .join(CollectionEntry, CollectionEntry.id == EntryEmbedding.entry_id)
        .join(Example, Example.id == CollectionEntry.example_id)
        .where(
            published_filter(),
            EntryEmbedding.revision == CollectionEntry.revision,
            EntryEmbedding.model_version == model.MODEL_VERSION,
        )
        .order_by(EntryEmbedding.entry_id)
    )
    if entry_ids is not None:
        stmt = stmt.where(EntryEmbedding.entry_id.in_(list(entry_ids)))
    rows = db.session.execute(stmt).all()
    return [r[0] for r in rows], model.matrix([r[1] for r in rows])
