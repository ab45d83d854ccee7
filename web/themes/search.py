"""Search by meaning and "similar examples": cosine similarity in numpy.

Why no vector index: a municipality's collection is at most some 20,000 entries; their matrix is
20,000 × 384 float32 = 30 MB, and one matrix-vector product over it takes a few milliseconds
(bench/themes.py measures the whole search). An approximate index (pgvector, FAISS) would add a
PostgreSQL-only extension or a second store for no visible gain, and the SQLite backend would
lose the feature.

What a search costs, and what is kept between requests (per process):

- the model, loaded once per process (``model._engine``; gunicorn's ``post_fork`` warms it);
- the tenant's matrix of published vectors, kept for ``MATRIX_TENANTS`` tenants and reused as
  long as the tenant's ``version()`` is unchanged: a stamp the database renews in the very
  transaction of an approval, an edit, a new vector, a team's change of its example or a
  deletion (triggers, migration 0026), read by primary key, so any such change, from any
  process, is seen by the next search (nothing is served from a stale matrix) and an unchanged
  tenant costs one lookup;
- the vectors of the last ``QUERIES`` queries, per tenant (a query typed in one municipality is
  never answered faster in another because of it: no timing says what others searched).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from sqlalchemy import select

from web.extensions import db
from web.tenancy import current_tenant_id
from web.themes import model
from web.themes.embeddings import published_vectors
from web.themes.models import SearchVersion

MAX_QUERY = 200
MIN_SCORE = 0.80  # e5 scores unrelated Danish texts at ~0.86-0.90 and paraphrases ~0.92+
MATRIX_TENANTS = 8  # tenants whose matrix a process keeps (30 MB each at 20,000 entries)
QUERIES = 2048  # query vectors a process keeps (1.5 KB each)

_lock = threading.Lock()
_matrices: OrderedDict[int, tuple[int | None, list[int], dict[int, int], np.ndarray]] = (
    OrderedDict()
)
_queries: OrderedDict[tuple[int, str, str], np.ndarray] = OrderedDict()


def nearest(
    vectors: np.ndarray, target: np.ndarray, n: int, exclude: int | None = None
) -> list[tuple[int, float]]:
    """Row indexes of the ``n`` rows closest to ``target`` (normalised vectors), best first."""
    if not len(vectors):
        return []
    # einsum, not ``@``: numpy hands ``@`` to OpenBLAS, whose matrix-vector product here is
    # 10-20 times slower (all cores, then a barrier; 26 ms against 1.4 ms at 20,000 × 384, load
    # 13, bench/README.md); einsum's own loop reads the 30 MB once on the calling thread.
    scores = np.einsum("ij,j->i", vectors, target)
    if exclude is not None:
        scores[exclude] = -np.inf
    n = min(n, len(scores) - (exclude is not None))
    if n <= 0:
        return []
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.argsort(-scores[top])]
    return [(int(i), float(scores[i])) for i in top]


def version() -> int | None:
    """The current tenant's stamp: it changes in every transaction that changes what its
    published matrix is made of (the vectors, the entries, the offered examples), by database
    triggers whoever writes (migration 0026). One primary-key lookup; no scan."""
    return db.session.scalar(
        select(SearchVersion.version).where(SearchVersion.tenant_id == current_tenant_id())
    )


def published_matrix() -> tuple[list[int], dict[int, int], np.ndarray]:
    """The current tenant's published ids, their rows, and their matrix (read-only)."""
    tenant_id, current = current_tenant_id(), version()
    with _lock:
        kept = _matrices.get(tenant_id)
        if kept is not None and kept[0] == current:
            _matrices.move_to_end(tenant_id)
            return kept[1], kept[2], kept[3]
    ids, vectors = published_vectors()
    rows = {entry_id: row for row, entry_id in enumerate(ids)}
    vectors.setflags(write=False)
    with _lock:
        _matrices[tenant_id] = (current, ids, rows, vectors)
        _matrices.move_to_end(tenant_id)
        while len(_matrices) > MATRIX_TENANTS:
            _matrices.popitem(last=False)
    return ids, rows, vectors


def query_vector(query: str) -> np.ndarray:
    key = (current_tenant_id(), model.MODEL_VERSION, query)
    with _lock:
        vector = _queries.get(key)
        if vector is not None:
            _queries.move_to_end(key)
            return vector
    vector = model.query(query)
    vector.setflags(write=False)
    with _lock:
        _queries[key] = vector
        while len(_queries) > QUERIES:
            _queries.popitem(last=False)
    return vector


def by_meaning(query: str, n: int = 10) -> list[tuple[int, float]]:
    """Published entry ids closest in meaning to ``query``, with their scores."""
    ids, _rows, vectors = published_matrix()
    if not ids:
        return []
    hits = nearest(vectors, query_vector(" ".join(query[:MAX_QUERY].split())), n)
    return [(ids[i], score) for i, score in hits]


def similar(entry_id: int, n: int = 5) -> list[tuple[int, float]]:
    """The published entries most like ``entry_id`` (not itself); none if it has no vector."""
    ids, rows, vectors = published_matrix()
    row = rows.get(entry_id)
    if row is None:
        return []
    hits = nearest(vectors, vectors[row].copy(), n, exclude=row)
    return [(ids[i], score) for i, score in hits]
