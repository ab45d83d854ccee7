"""Benchmark: the search-by-meaning page at 20,000 published entries, before and after the stamp.

Not a test. It writes (published entries and their vectors), so it refuses the shared bench
database: run it on a copy (COMMON rules), migrated to head, under the bench lock::

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bench_NAME TEMPLATE aktorskab_bench'
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_NAME \\
        flock /tmp/bench.lock .venv/bin/python bench/themes_page.py [--entries 20000]

- Set-up (once per copy): the bench tenant's first ``--entries`` examples offered, compiled and
  approved (rows written by SQL, committed, then VACUUM ANALYZE, so PostgreSQL plans with
  statistics), each with a vector (random unit vectors: the search's cost does not depend on
  what they say). The commit's time is reported: it fires the stamp's deferred triggers
  (migration 0026) for every written row.
- The page, ``GET /t/bench/inspiration/betydning?q=…`` as an employee, through the Flask test
  client in this process (no HTTP, no gunicorn; the app connects as the non-owner role that
  row-level security binds), each query new (a number appended: its embedding is computed, the
  slow case). Before: ``search.version`` replaced by the three aggregate scans it was
  (``three_scans`` below, the code of bench/README.md's previous round); after: the stamp's
  primary-key lookup. The two alternate in blocks (before, after, before, …), each block opened
  by one request that is not counted (it reloads the matrix: the two checks' values differ), so
  the machine's load changes fall on both alike. Target: p99 ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sqlalchemy import func, select, true
from sqlalchemy.engine import make_url

from bench import benchlib
from bench.web import COOKIE, session_cookies
from tests.themes.labelled import queries
from web.collections.models import CollectionEntry
from web.examples.models import Example
from web.extensions import db
from web.themes import model, search
from web.themes.models import EntryEmbedding

SLUG = "bench"


def three_scans() -> tuple:
    """The freshness check before migration 0026: one query, three aggregate scans."""
    vectors = select(
        func.count(EntryEmbedding.id),
        func.max(EntryEmbedding.id),
        func.max(EntryEmbedding.embedded_at),
    ).subquery()
    entries = select(
        func.count(CollectionEntry.id), func.max(CollectionEntry.updated_at)
    ).subquery()
    examples = (
        select(func.count(Example.id), func.max(Example.updated_at))
        .where(Example.is_offered)
        .subquery()
    )
    one_row_each = vectors.join(entries, true()).join(examples, true())
    return tuple(
        db.session.execute(select(vectors, entries, examples).select_from(one_row_each)).one()
    )


def load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def set_up(tenant_id: int, n: int, seed: int) -> tuple[int, float | None]:
    """Publish ``n`` entries with vectors (once). A user of the tenant, and the commit's
    seconds (None when the entries were there already)."""
    import psycopg

    url = make_url(benchlib.OWNER_URL).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant_id),))
        user_id = conn.execute("SELECT min(id) FROM users").fetchone()[0]
        have = conn.execute("SELECT count(*) FROM entry_embeddings").fetchone()[0]
        if have >= n:
            return user_id, None
        conn.execute(
            "UPDATE examples SET offered_at = coalesce(offered_at, created_at) WHERE id IN "
            "(SELECT id FROM examples ORDER BY id LIMIT %s)",
            (n,),
        )
        conn.execute(
            """INSERT INTO collection_entries (example_id, kind, kkc, olfa, title, text, lesson,
                 status, findings_count, is_edited, revision, source_digest, source_updated_at,
                 compiled_at, reviewed_at, tenant_id, created_at, updated_at)
               SELECT id, kind, kkc, olfa, title, text, lesson, 'approved', 0, false, 1,
                 md5(text), updated_at, now(), now(), tenant_id, now(), now()
               FROM examples WHERE offered_at IS NOT NULL ORDER BY id LIMIT %s""",
            (n,),
        )
        ids = [r[0] for r in conn.execute("SELECT id FROM collection_entries ORDER BY id")]
        rng = np.random.default_rng(seed)
        vectors = rng.normal(size=(len(ids), model.DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO entry_embeddings (entry_id, model_version, revision, vector, "
                "embedded_at, tenant_id) VALUES (%s, %s, 1, %s, now(), %s)",
                [
                    (i, model.MODEL_VERSION, model.to_bytes(v), tenant_id)
                    for i, v in zip(ids, vectors, strict=True)
                ],
            )
        started = time.perf_counter()
        conn.commit()  # the deferred triggers fire here, one per written row
        seconds = time.perf_counter() - started
    for table in ("examples", "collection_entries", "entry_embeddings", "search_versions"):
        benchlib.psql(f"VACUUM ANALYZE {table}")
    return user_id, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=150, help="per variant")
    parser.add_argument("--block", type=int, default=50)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    if make_url(benchlib.OWNER_URL).database == "aktorskab_bench":
        sys.exit("bench/themes_page.py writes: run it on a copy (BENCH_DATABASE_URL)")
    from web import create_app

    start_load = load()
    app = create_app(benchlib.app_config())
    [(tenant_id,)] = benchlib.psql("SELECT id FROM tenants WHERE slug = %s", SLUG)
    user_id, commit_s = set_up(tenant_id, args.entries, args.seed)
    cookie = session_cookies(app, tenant_id, {user_id})[user_id]
    client = app.test_client()
    client.set_cookie(COOKIE, cookie)
    model.warm()
    stamp = search.version
    checks: dict[str, list[float]] = {"before": [], "after": []}
    pages: dict[str, list[float]] = {"before": [], "after": []}
    variants = {"before": three_scans, "after": stamp}
    texts = [q for q, _ in queries()]
    n = 0

    def timed(name: str):
        check = variants[name]

        def run():
            t0 = time.perf_counter()
            value = check()
            checks[name].append((time.perf_counter() - t0) * 1000)
            return value

        return run

    try:
        for _ in range(args.requests // args.block):
            for name in ("before", "after"):
                search.version = timed(name)
                for i in range(args.block + 1):
                    n += 1
                    t0 = time.perf_counter()
                    response = client.get(
                        f"/t/{SLUG}/inspiration/betydning",
                        query_string={"q": f"{texts[n % len(texts)]} {n}"},
                    )
                    elapsed = (time.perf_counter() - t0) * 1000
                    assert response.status_code == 200, response.status
                    assert b'class="collection-entry"' in response.data
                    if i == 0:  # the block's first: the matrix reloaded
                        checks[name].pop()
                        continue
                    pages[name].append(elapsed)
    finally:
        search.version = stamp
    end_load = load()
    result: dict = {
        "entries": args.entries,
        "requests_per_variant": len(pages["after"]),
        "load_at_start": start_load,
        "load_at_end": end_load,
        "setup_commit_seconds": None if commit_s is None else round(commit_s, 2),
    }
    for name in ("before", "after"):
        p = np.percentile(pages[name], [50, 99])
        c = np.percentile(checks[name], [50, 99])
        result |= {
            f"page_{name}_p50_ms": round(float(p[0]), 1),
            f"page_{name}_p99_ms": round(float(p[1]), 1),
            f"check_{name}_p50_ms": round(float(c[0]), 2),
            f"check_{name}_p99_ms": round(float(c[1]), 2),
        }
        print(
            f"{name}: page p50 {p[0]:.1f} ms, p99 {p[1]:.1f} ms; freshness check p50 "
            f"{c[0]:.2f} ms, p99 {c[1]:.2f} ms ({len(pages[name])} requests)"
        )
    print(f"load {start_load} → {end_load}; set-up commit {commit_s} s")
    benchlib.save("themes_page", result)


if __name__ == "__main__":
    main()
