"""Clusters of entry vectors and their Danish labels (plain functions on arrays and strings).

Measured on the labelled set (tests/themes/labelled.py, 360 entries in 10 known themes; adjusted
Rand index against the known themes, tests/themes/test_quality.py): Ward's agglomerative
clustering 0.53, k-means 0.49 (both with k = sqrt(n/2), the usual rule of thumb), HDBSCAN 0.28
at its best minimum cluster size (it calls most of this set noise or splits it into 50 groups:
e5's vectors are all close together, with no density gaps between themes). Silhouette rises
with k on this set, so it cannot choose k; the rule of thumb does, and HR can merge.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

# Words that say nothing about a theme (Danish function words and the collection's own words).
_STOPWORD_TEXT = """
af alle alt altid andre at bare blev blive bliver da de dem den denne der deres det dette
dig din disse du efter eller en end er et for fordi fra fik få får gik gjorde god godt gør
har havde hele hen her hinanden hun hvad hvem hver hvis hvor hvordan hvornår i ikke ind
jeg jer jo kan kom kommer kun kunne lidt lige man mange med meget men mere mig min mod må
ned noget nogle nu når og også om op os over på sammen selv sig sin sine skal skulle som
stadig så tid til tog uden under ud var ved vi vil ville vores være været år nye ny
team teamet teams derfor første gang mindre uge hver alle
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[a-zæøå]{3,}")

METHOD = "ward"
MIN_THEME = 5  # entries: a smaller group is no theme (and would point at too few teams)
MAX_THEMES = 40
DIRECT_LIMIT = 2000  # Ward's distance matrix grows with n²; above this, Ward on k-means' parts


def n_themes(n: int) -> int:
    return int(min(MAX_THEMES, max(1, round((n / 2) ** 0.5), 1 if n < 2 * MIN_THEME else 2)))


def ward(vectors: np.ndarray, k: int | None = None, seed: int = 0) -> np.ndarray:
    """Ward labels. Above DIRECT_LIMIT entries, k-means first cuts the set into DIRECT_LIMIT/4
    parts and Ward joins their centroids (the same result shape at a fraction of the memory)."""
    from sklearn.cluster import AgglomerativeClustering, MiniBatchKMeans

    n = len(vectors)
    k = k or n_themes(n)
    if k <= 1 or n <= k:
        return np.zeros(n, dtype=int)
    if n <= DIRECT_LIMIT:
        return AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(vectors)
    parts = MiniBatchKMeans(
        n_clusters=DIRECT_LIMIT // 4, random_state=seed, n_init=1, batch_size=2048
    ).fit(vectors)
    joined = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(
        parts.cluster_centers_
    )
    return joined[parts.labels_]


def kmeans(vectors: np.ndarray, k: int | None = None, seed: int = 0) -> np.ndarray:
    from sklearn.cluster import KMeans

    n = len(vectors)
    k = k or n_themes(n)
    if k <= 1 or n <= k:
        return np.zeros(n, dtype=int)
    return KMeans(n_clusters=k, n_init=5, random_state=seed).fit_predict(vectors)


def hdbscan(vectors: np.ndarray, min_size: int = MIN_THEME) -> np.ndarray:
    """HDBSCAN labels (-1: noise, in no theme)."""
    from sklearn.cluster import HDBSCAN

    if len(vectors) < 2 * min_size:
        return np.full(len(vectors), -1)
    return HDBSCAN(min_cluster_size=min_size, copy=True).fit_predict(vectors)


def cluster(vectors: np.ndarray, method: str = METHOD, k: int | None = None) -> np.ndarray:
    if method == "hdbscan":
        return hdbscan(vectors)
    return (ward if method == "ward" else kmeans)(vectors, k)


def words(texts: Sequence[str]) -> list[str]:
    return [w for w in _WORD.findall(" ".join(texts).lower()) if w not in STOPWORDS]


def characteristic_words(
    texts_by_cluster: dict[int, list[str]], n: int = 5
) -> dict[int, list[str]]:
    """Per cluster, the words most frequent in it relative to all clusters (class TF-IDF)."""
    counts = {c: Counter(words(texts)) for c, texts in texts_by_cluster.items()}
    present_in = Counter(w for counter in counts.values() for w in counter)
    total = len(counts)
    result = {}
    for c, counter in counts.items():
        size = sum(counter.values()) or 1
        scored = {
            w: (f / size) * np.log(1 + total / present_in[w]) for w, f in counter.items() if f >= 2
        }
        result[c] = [w for w, _ in sorted(scored.items(), key=lambda x: (-x[1], x[0]))[:n]]
    return result


def central(vectors: np.ndarray, n: int = 3) -> tuple[np.ndarray, list[int]]:
    """The normalised centroid of ``vectors`` and the row indexes closest to it, best first."""
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    order = np.argsort(-(vectors @ centroid))
    return centroid.astype(np.float32), [int(i) for i in order[:n]]
