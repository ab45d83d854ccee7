"""Benchmark: themes and search by meaning at 20,000 entries (issue 21).

Not a test. Run from the repository root (under ``flock /tmp/bench.lock``)::

    .venv/bin/python bench/themes.py [--entries 20000] [--embed-sample 2000] [--queries 200]

- Tokens: of the labelled-like texts and of ``--real-sample`` entries written as
  bench/generator writes examples (about 530 characters, 130 tokens), and of the latter as
  embedded (within ``model.MAX_TOKENS``).
- Embedding: ``--embed-sample`` texts (built like tests/themes/labelled.py's, about 200
  characters, 46 tokens) through ``model.passages`` in the backfill's batches
  (``embeddings.BATCH``, dealt out to ``model.threads()`` threads), measured twice in the same
  run: on one thread (the baseline) and on all threads. Wall time and the process's CPU time
  per text are both reported: the machine is shared, and the CPU time per text is what the work
  costs, whatever else runs. The time is extrapolated to ``--entries`` (with ``--embed-sample``
  equal to ``--entries`` it is measured outright), both as measured (wall) and on this
  machine's cores when idle (CPU seconds / cores). Then the ``--real-sample`` generator entries
  on one thread and on all threads, the same way. Target: 20,000 entries in ≤ 10 minutes.
- Clustering: ``--entries`` vectors (the sample's real vectors, each repeated with a small
  random perturbation and renormalised, so the shape and spread are those of real entries)
  through ``clustering.cluster`` (Ward on k-means parts above 2,000 entries).
- Search: ``--queries`` searches as ``search.by_meaning`` does them over a tenant's 20,000 ×
  384 matrix kept in memory: the query's vector (a query never searched before: embedded; a
  repeated one: from the cache) + the similarity + the top 10. Each query is new (a number
  appended), so the p99 is that of a first search, the slow case. Baseline: the bare matrix
  product alone, as ``nearest`` computes it (einsum) and as numpy's ``@`` does (OpenBLAS,
  threaded: what ``nearest`` did before). The version check against the database (one query
  of aggregates) and the page are not measured here (bench/README.md). Target: p99 ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench.benchlib import save
from bench.generator.words import Texts
from tests.themes.labelled import entries, queries
from web.themes import clustering, model
from web.themes.embeddings import BATCH
from web.themes.search import nearest


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def embed(texts: list[str], threads: int) -> tuple[np.ndarray, float, float, float]:
    """Vectors, wall seconds, CPU seconds and the load average at the start."""
    os.environ["EMBED_THREADS"] = str(threads)
    model.passages(texts[:64])  # the pool's threads started and warm
    at, started, cpu = load(), time.perf_counter(), cpu_seconds()
    vectors = np.vstack([model.passages(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)])
    return vectors, time.perf_counter() - started, cpu_seconds() - cpu, at


def realistic(n: int, seed: int) -> list[str]:
    """Entries as bench/generator writes examples: a title, about 400 characters of text, a
    lesson in one of four (1-3 sentences): about 130 tokens, three times a labelled entry."""
    rng = random.Random(seed)  # noqa: S311 - reproducible bench data, not secrets
    words = Texts(random.Random(seed + 1))  # noqa: S311 - likewise
    return [
        "\n".join(
            t
            for t in (
                words.title(),
                words.example([]),
                words.answer() if rng.random() < 0.25 else None,
            )
            if t
        )
        for _ in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--embed-sample", type=int, default=2000)
    parser.add_argument("--real-sample", type=int, default=400)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    base = entries()
    texts = ["\n".join(t for t in (e.title, e.text, e.lesson) if t) for e in base]
    texts = [
        texts[i % len(texts)] + ("" if i < len(texts) else f" ({i})")
        for i in range(args.embed_sample)
    ]
    model.warm()  # the model loaded once, as a worker process does
    threads = len(os.sched_getaffinity(0))
    tokens = np.array([model.tokens(t) for t in texts])
    generated = realistic(args.real_sample, args.seed)
    generated_tokens = np.array([model.tokens(model.normalised(t)) for t in generated])
    fitted_tokens = np.array([model.tokens(model.fit(model.normalised(t))) for t in generated])
    print(
        f"tokens: labelled-like texts mean {tokens.mean():.0f} (max {tokens.max()}); "
        f"bench/generator entries mean {generated_tokens.mean():.0f}, p90 "
        f"{np.percentile(generated_tokens, 90):.0f}, max {generated_tokens.max()} "
        f"(embedded within MAX_TOKENS = {model.MAX_TOKENS}: mean {fitted_tokens.mean():.0f})"
    )
    one, one_s, one_cpu, one_load = embed(texts, 1)
    sample, embed_s, embed_cpu, embed_load = embed(texts, threads)
    assert np.array_equal(one, sample), "the vectors must not depend on the threads"
    real_one, real_one_s, real_one_cpu, real_one_load = embed(generated, 1)
    real, real_s, real_cpu, real_load = embed(generated, threads)
    assert np.array_equal(real_one, real), "the vectors must not depend on the threads"
    per_text, cpu_per_text = embed_s / len(texts), embed_cpu / len(texts)
    real_cpu_per_text = real_cpu / len(generated)
    for name, n, wall, cpu, at in (
        ("labelled-like, 1 thread", len(texts), one_s, one_cpu, one_load),
        (f"labelled-like, {threads} threads", len(texts), embed_s, embed_cpu, embed_load),
        ("generator entries, 1 thread", len(generated), real_one_s, real_one_cpu, real_one_load),
        (f"generator entries, {threads} threads", len(generated), real_s, real_cpu, real_load),
    ):
        print(
            f"embedding ({name}, load {at}): {n} texts in {wall:.1f} s = "
            f"{wall / n * 1000:.1f} ms/text wall, {cpu / n * 1000:.1f} ms/text CPU → "
            f"{args.entries} entries: {wall / n * args.entries / 60:.1f} min as measured, "
            f"{cpu / n * args.entries / threads / 60:.1f} min on {threads} idle cores"
        )

    picks = rng.integers(0, len(sample), args.entries)
    vectors = sample[picks] + rng.normal(0, 0.01, (args.entries, model.DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    cluster_load, started = load(), time.perf_counter()
    labels = clustering.cluster(vectors)
    cluster_s = time.perf_counter() - started
    print(f"clustering: {args.entries} vectors in {cluster_s:.1f} s, {len(set(labels))} themes")

    query_texts = [q for q, _ in queries()]
    search_load = load()
    first, repeated, bare, blas, cached = [], [], [], [], {}
    for i in range(args.queries):
        text = f"{query_texts[i % len(query_texts)]} {i}"
        t0 = time.perf_counter()
        target = cached[text] = model.query(text)
        nearest(vectors, target, 10)
        t1 = time.perf_counter()
        nearest(vectors, cached[text], 10)
        t2 = time.perf_counter()
        _ = vectors @ target
        t3 = time.perf_counter()
        blas.append((t3 - t2) * 1000)
        t2 = time.perf_counter()
        _ = np.einsum("ij,j->i", vectors, target)
        t3 = time.perf_counter()
        first.append((t1 - t0) * 1000)
        repeated.append((t2 - t1) * 1000)
        bare.append((t3 - t2) * 1000)
    p99 = percentile(first, 99)
    print(
        f"search (load {search_load}): first p50 {percentile(first, 50):.1f} ms, p99 "
        f"{p99:.1f} ms; repeated p99 {percentile(repeated, 99):.1f} ms; bare product p99 "
        f"{percentile(bare, 99):.2f} ms (einsum, as nearest does it), "
        f"{percentile(blas, 99):.2f} ms (numpy @, OpenBLAS)"
    )
    save(
        "themes",
        {
            "entries": args.entries,
            "embed_sample": len(texts),
            "threads": threads,
            "embed_load": embed_load,
            "embed_seconds": round(embed_s, 2),
            "embed_ms_per_text": round(per_text * 1000, 1),
            "embed_cpu_ms_per_text": round(cpu_per_text * 1000, 1),
            "embed_minutes_for_entries": round(per_text * args.entries / 60, 1),
            "embed_idle_minutes_for_entries": round(cpu_per_text * args.entries / threads / 60, 1),
            "tokens_mean": round(float(tokens.mean()), 1),
            "max_tokens": model.MAX_TOKENS,
            "generator_sample": len(generated),
            "generator_tokens_mean": round(float(generated_tokens.mean()), 1),
            "generator_tokens_max": int(generated_tokens.max()),
            "generator_embedded_tokens_mean": round(float(fitted_tokens.mean()), 1),
            "generator_load": real_load,
            "generator_ms_per_text": round(real_s / len(generated) * 1000, 1),
            "generator_cpu_ms_per_text": round(real_cpu_per_text * 1000, 1),
            "generator_minutes_for_entries": round(real_s / len(generated) * args.entries / 60, 1),
            "generator_idle_minutes_for_entries": round(
                real_cpu_per_text * args.entries / threads / 60, 1
            ),
            "generator_one_thread_load": real_one_load,
            "generator_one_thread_ms_per_text": round(real_one_s / len(generated) * 1000, 1),
            "generator_one_thread_cpu_ms_per_text": round(real_one_cpu / len(generated) * 1000, 1),
            "generator_one_thread_minutes_for_entries": round(
                real_one_s / len(generated) * args.entries / 60, 1
            ),
            "generator_speedup_over_one_thread": round(real_one_s / real_s, 2),
            "generator_cpu_ms_per_token": round(real_cpu / float(fitted_tokens.sum()) * 1000, 3),
            "embed_one_thread_load": one_load,
            "embed_one_thread_ms_per_text": round(one_s / len(texts) * 1000, 1),
            "embed_one_thread_cpu_ms_per_text": round(one_cpu / len(texts) * 1000, 1),
            "embed_speedup_over_one_thread": round(one_s / embed_s, 2),
            "embed_target_minutes": 10,
            "cluster_load": cluster_load,
            "cluster_seconds": round(cluster_s, 2),
            "themes": len(set(labels.tolist())),
            "search_load": search_load,
            "search_queries": args.queries,
            "search_first_p50_ms": round(percentile(first, 50), 1),
            "search_first_p99_ms": round(p99, 1),
            "search_repeated_p99_ms": round(percentile(repeated, 99), 1),
            "search_target_p99_ms": 200,
            "bare_product_p99_ms": round(percentile(bare, 99), 2),
            "bare_product_p50_ms": round(percentile(bare, 50), 2),
            "blas_product_p99_ms": round(percentile(blas, 99), 2),
            "blas_product_p50_ms": round(percentile(blas, 50), 2),
            "p99_over_bare_product": round(p99 / max(percentile(bare, 99), 1e-6), 1),
        },
    )


if __name__ == "__main__":
    main()
