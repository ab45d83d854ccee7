"""Search by meaning and "similar examples": cosine similarity in numpy.

Why no vector index: a municipality's collection is at most some 20,000 entries; their matrix is
20,000 × 384 float32 = 30 MB, and one matrix-vector product over it takes a few milliseconds
(bench/themes.py measures the whole search, loading the vectors included). An approximate index
(pgvector, FAISS) would add a PostgreSQL-only extension or a second store for no visible gain,
and the SQLite backend would lose the feature.
"""

from __future__ import annotations

import numpy as np

from web.themes import model
from web.themes.embeddings import published_vectors

MAX_QUERY = 200
MIN_SCORE = 0.80  # e5 scores unrelated Danish texts at ~0.86-0.90 and paraphrases ~0.92+


def nearest(vectors: np.ndarray, target: np.ndarray, n: int,
            exclude: int | None = None) -> list[tuple[int, float]]:
    """Row indexes of the ``n`` rows closest to ``target`` (normalised vectors), best first."""
    if not len(vectors):
        return []
    scores = vectors @ target
    if exclude is not None:
        scores[exclude] = -np.inf
    n = min(n, len(scores) - (exclude is not None))
    if n <= 0:
        return []
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.argsort(-scores[top])]
    return [(int(i), float(scores[i])) for i in top]


def by_meaning(query: str, n: int = 10) -> list[tuple[int, float]]:
    """Published entry ids closest in meaning to ``query``, with their scores."""
    ids, vectors = published_vectors()
    hits = nearest(vectors, model.query(query[:MAX_QUERY]), n)
    return [(ids[i], score) for i, score in hits]


def similar(entry_id: int, n: int = 5) -> list[tuple[int, float]]:
    """The published entries most like ``entry_id`` (not itself); none if it has no vector."""
    ids, vectors = published_vectors()
    if entry_id not in ids:
        return []
    row = ids.index(entry_id)
    hits = nearest(vectors, vectors[row].copy(), n, exclude=row)
    return [(ids[i], score) for i, score in hits]
