"""Benchmark: themes and search by meaning at 20,000 entries (issue 21).

Not a test. Run from the repository root (under ``flock /tmp/bench.lock``)::

    .venv/bin/python bench/themes.py [--entries 20000] [--embed-sample 400] [--queries 200]

- Embedding: ``--embed-sample`` texts (built like tests/themes/labelled.py's, about 200
  characters) are embedded in batches of 32, as the backfill does; the time per text is
  extrapolated to ``--entries`` (with ``--embed-sample`` equal to ``--entries`` it is measured
  outright). Target: 20,000 entries in ≤ 10 minutes.
- Clustering: ``--entries`` vectors (the sample's real vectors, each repeated with a small
  random perturbation and renormalised, so the shape and spread are those of real entries)
  through ``clustering.cluster`` (Ward on k-means parts above 2,000 entries).
- Search: ``--queries`` searches, each = embed the query (model's "query:" prefix) + the
  similarity over the 20,000 × 384 matrix + the top 10, and, apart, loading the matrix from its
  stored bytes (``model.matrix``) as every search does. Baseline: the bare matrix product
  alone, so the ratio says what the rest costs. Target: p99 ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench.benchlib import save
from tests.themes.labelled import entries, queries
from web.themes import clustering, model
from web.themes.embeddings import BATCH
from web.themes.search import nearest


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--embed-sample", type=int, default=400)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    base = entries()
    texts = ["\n".join(t for t in (e.title, e.text, e.lesson) if t) for e in base]
    texts = [texts[i % len(texts)] + ("" if i < len(texts) else f" ({i})")
             for i in range(args.embed_sample)]
    model.passages(["opvarmning"])  # load the model once, as a worker process does
    started = time.perf_counter()
    sample = np.vstack([model.passages(texts[i:i + BATCH]) for i in range(0, len(texts), BATCH)])
    embed_s = time.perf_counter() - started
    per_text = embed_s / len(texts)
    print(f"embedding: {len(texts)} texts in {embed_s:.1f} s = {per_text * 1000:.0f} ms/text "
          f"→ {args.entries} entries ≈ {per_text * args.entries / 60:.1f} min")

    picks = rng.integers(0, len(sample), args.entries)
    vectors = sample[picks] + rng.normal(0, 0.01, (args.entries, model.DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    started = time.perf_counter()
    labels = clustering.cluster(vectors)
    cluster_s = time.perf_counter() - started
    print(f"clustering: {args.entries} vectors in {cluster_s:.1f} s, {len(set(labels))} themes")

    blobs = [model.to_bytes(v) for v in vectors]
    query_texts = [q for q, _ in queries()]
    total, load, bare = [], [], []
    for i in range(args.queries):
        text = query_texts[i % len(query_texts)]
        t0 = time.perf_counter()
        matrix = model.matrix(blobs)
        t1 = time.perf_counter()
        target = model.query(text)
        nearest(matrix, target, 10)
        t2 = time.perf_counter()
        _ = matrix @ target
        t3 = time.perf_counter()
        load.append((t1 - t0) * 1000)
        total.append((t2 - t0) * 1000)
        bare.append((t3 - t2) * 1000)
    p99 = percentile(total, 99)
    print(f"search: p50 {percentile(total, 50):.1f} ms, p99 {p99:.1f} ms (matrix from bytes "
          f"p99 {percentile(load, 99):.1f} ms; bare product p99 {percentile(bare, 99):.2f} ms)")
    save("themes", {
        "entries": args.entries, "embed_sample": len(texts), "embed_seconds": round(embed_s, 2),
        "embed_ms_per_text": round(per_text * 1000, 1),
        "embed_minutes_for_entries": round(per_text * args.entries / 60, 1),
        "embed_target_minutes": 10, "cluster_seconds": round(cluster_s, 2),
        "themes": len(set(labels.tolist())), "search_queries": args.queries,
        "search_p50_ms": round(percentile(total, 50), 1), "search_p99_ms": round(p99, 1),
        "search_target_p99_ms": 200, "matrix_load_p99_ms": round(percentile(load, 99), 1),
        "bare_product_p99_ms": round(percentile(bare, 99), 2),
        "p99_over_bare_product": round(p99 / max(percentile(bare, 99), 1e-6), 1),
    })


if __name__ == "__main__":
    main()
