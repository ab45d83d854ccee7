"""The signed-in floor A/B: two code trees measured alternately, in-process, medians.

    git archive <base commit> | tar -x -C /tmp/base   # plus .venv, compiled .mo, static dkfds
    .venv/bin/python bench/floor_ab.py --base /tmp/base --runs 3

Each run is one process per tree (``--measure``, the tree's own ``bench/web.py``): the process CPU
(``time.process_time``) of 10 interleaved rounds of 50 requests each of the bare SELECT, the
empty signed-in page, the empty page in the layout and the leader dashboard (test client,
the leader dashboard's sessions), and the PostgreSQL backends' CPU from ``/proc`` (10 ms ticks:
coarse). The trees alternate, so the machine's load falls on both; ratios are to the bare
SELECT of the same process. Writes ``bench/results/floor-ab.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(repo: str, rounds: int = 10, per: int = 50) -> dict:
    spec = importlib.util.spec_from_file_location("benchweb", f"{repo}/bench/web.py")
    bw = importlib.util.module_from_spec(spec)
    sys.modules["benchweb"] = bw
    spec.loader.exec_module(bw)
    import bare_app

    bw.track_backends()
    app, tenant_id, _targets, by_key = bw.set_up("leader")
    os.environ["DATABASE_URL"] = bw.benchlib.DATABASE_URL
    bare = bare_app.create_app()
    leader = bw.refreshed(app, tenant_id, by_key["leader"])
    bare_paths = [r[1] for r in by_key["bare_select"].requests]
    product, bare_client = app.test_client(), bare.test_client()
    paths = {"floor": f"/t/{bw.SLUG}/bench-floor", "layout": f"/t/{bw.SLUG}/bench-layout"}

    def one(kind: str, i: int) -> None:
        if kind == "bare":
            response = bare_client.get(bare_paths[i % len(bare_paths)])
        else:
            _, path, cookie, _ = leader[i % len(leader)]
            product.set_cookie(bw.COOKIE, cookie)
            response = product.get(paths.get(kind, path))
        assert response.status_code == 200, (kind, response.status_code)

    kinds = ("bare", "floor", "layout", "leader")
    cpu = {k: [] for k in kinds}
    db = {k: [] for k in kinds}
    for kind in kinds:
        for i in range(30):
            one(kind, i)
    n = 0
    for _ in range(rounds):
        for kind in kinds:
            started, db_started = time.process_time(), bw.backend_cpu_s()
            for _ in range(per):
                one(kind, n)
                n += 1
            cpu[kind].append((time.process_time() - started) / per * 1000)
            db_now = bw.backend_cpu_s()
            if db_started is not None and db_now is not None:
                db[kind].append((db_now - db_started) / per * 1000)
    out = {k: statistics.median(v) for k, v in cpu.items()}
    out.update({f"db_{k}": statistics.median(v) for k, v in db.items() if v})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="the other code tree (the 'before')")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    sys.path.insert(0, str(HERE))
    import benchlib

    trees = {"before": args.base, "after": str(HERE.parent)}
    runs = {name: [] for name in trees}
    load_start = os.getloadavg()[0]
    for _ in range(args.runs):
        for name, tree in trees.items():
            done = subprocess.run(  # noqa: S603 (this script, on a tree given by its user)
                [sys.executable, __file__, "--measure", tree],
                cwd=tree,
                capture_output=True,
                text=True,
                check=True,
            )
            runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(name, runs[name][-1])
    summary = {}
    for name, results in runs.items():
        summary[name] = {key: statistics.median(r[key] for r in results) for key in results[0]} | {
            f"{kind}_x_bare": statistics.median(r[kind] / r["bare"] for r in results)
            for kind in ("floor", "layout", "leader")
        }
        print(name, {k: round(v, 3) for k, v in summary[name].items()})
    benchlib.save(
        "floor-ab",
        {"load_average_start_end": [load_start, os.getloadavg()[0]], "runs": runs, **summary},
    )


if __name__ == "__main__":
    main()
