"""Check: are the themes (ARI) and the search (recall@5) kept when long entries are cut?

Not a test. Run from the repository root (under ``flock /tmp/bench.lock``)::

    .venv/bin/python bench/themes_long.py [--budgets 64 96] [--extra 2]

The labelled set's entries (tests/themes/labelled.py: about 46 tokens) are far shorter than
the generator's (about 130), so cutting them says little about cutting real long entries. Here
each labelled entry is lengthened to about the generator's length, two ways:

- *same theme*: followed by the texts of ``--extra`` other entries of its own theme (drawn at
  random, never itself) — an entry that goes on about its subject. The added sentences are
  shared with other entries of the theme, which makes the uncut texts easier to cluster: the
  loss measured from cutting is, if anything, overstated;
- *filler*: followed by sentences of bench/generator's vocabulary (no theme at all) of about
  the same length — an entry that rambles.

Each variant is embedded uncut and cut to each ``--budget`` (``model.fit``), clustered as the
product clusters (``clustering.cluster``) and scored against the known themes (adjusted Rand
index, floor 0.45 in tests/themes/test_quality.py); the held-back queries' recall@5 and
precision@5 as test_quality computes them. Also the CPU time per text of each.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sklearn.metrics import adjusted_rand_score

from bench.benchlib import save
from bench.generator.words import Texts
from tests.themes.conftest import text_of
from tests.themes.labelled import entries, queries
from web.themes import clustering, model
from web.themes.search import nearest


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def lengthened(extra: int, seed: int) -> dict[str, list[str]]:
    items = entries()
    rng = random.Random(seed)  # noqa: S311 - reproducible bench data
    words = Texts(random.Random(seed + 1))  # noqa: S311 - likewise
    by_theme: dict[str, list[int]] = {}
    for i, e in enumerate(items):
        by_theme.setdefault(e.theme, []).append(i)
    same, filler = [], []
    for i, e in enumerate(items):
        others = rng.sample([j for j in by_theme[e.theme] if j != i], extra)
        added = " ".join(items[j].text for j in others)
        same.append(f"{text_of(e)}\n{added}")
        ramble, length = [], 0
        while length < len(added):
            ramble.append(rng.choice(words.sentences))
            length += len(ramble[-1]) + 1
        filler.append(f"{text_of(e)}\n{' '.join(ramble)}")
    return {"same theme": same, "filler": filler}


def score(texts: list[str], truth: list[str], budget: int | None) -> dict:
    cut = [model.fit(model.normalised(t), budget) for t in texts]
    tokens = float(np.mean([model.tokens(t) for t in cut]))
    started = cpu_seconds()
    vectors = model.passages(cut)
    cpu = (cpu_seconds() - started) / len(cut)
    ari = adjusted_rand_score(truth, clustering.cluster(vectors))
    hits = precision = 0.0
    for query, theme in queries():
        found = [truth[i] for i, _ in nearest(vectors, model.query(query), 5)]
        hits += theme in found
        precision += found.count(theme) / 5
    n = len(queries())
    return {
        "budget": budget or model.MAX_TOKENS,
        "tokens_mean": round(tokens, 1),
        "ari": round(ari, 3),
        "recall_at_5": round(hits / n, 2),
        "precision_at_5": round(precision / n, 2),
        "cpu_ms_per_text": round(cpu * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=int, nargs="+", default=[64, 96])
    parser.add_argument("--extra", type=int, default=2)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    truth = [e.theme for e in entries()]
    model.warm()
    load = float(Path("/proc/loadavg").read_text().split()[0])
    results: dict[str, list[dict]] = {}
    for variant, texts in lengthened(args.extra, args.seed).items():
        results[variant] = []
        for budget in [None, *sorted(args.budgets, reverse=True)]:
            row = score(texts, truth, budget)
            results[variant].append(row)
            print(f"{variant}: {row}")
    end = float(Path("/proc/loadavg").read_text().split()[0])
    save("themes_long", {"load_at_start": load, "load_at_end": end, "results": results})


if __name__ == "__main__":
    main()
