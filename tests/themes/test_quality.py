"""How good the themes and the search are, on the labelled set (360 entries, 10 themes).

Floors, and why:
- Ward's adjusted Rand index >= 0.45. Measured 0.53 at k = sqrt(n/2) = 13 (0.63 at the true
  k = 10). A random partition scores 0; 0.45 means most entries of a known theme share a
  cluster, with its more than 10 clusters splitting some themes in two (HR merges those). The
  margin of 0.08 covers BLAS/scikit-learn version differences in tie-breaking, not a worse model.
- Ward must beat HDBSCAN on this set (measured 0.28): the reason clustering.METHOD is Ward.
- Search: of 30 held-back queries (no query text is in any entry), the first 5 results hold an
  entry of the query's theme for >= 80 % (measured 90 %), and >= 60 % of all first-5 results are
  of the query's theme (measured 77 %).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score

from tests.themes.conftest import text_of
from tests.themes.labelled import THEMES, queries
from web.themes import clustering, model
from web.themes.search import nearest


def test_the_set_is_large_enough_and_balanced(labelled_vectors):
    items, vectors = labelled_vectors
    assert len(items) >= 300 and vectors.shape == (len(items), model.DIM)
    assert {e.theme for e in items} == {t.key for t in THEMES} and len(THEMES) == 10
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    texts = {e.text + (e.lesson or "") for e in items}
    assert len(texts) == len(items)  # no entry twice
    assert not any(q in t for q, _ in queries() for t in texts)  # held back


def test_ward_finds_the_known_themes_and_beats_hdbscan(labelled_vectors):
    items, vectors = labelled_vectors
    truth = [e.theme for e in items]
    ward = adjusted_rand_score(truth, clustering.cluster(vectors, "ward"))
    hdbscan = adjusted_rand_score(truth, clustering.cluster(vectors, "hdbscan"))
    kmeans = adjusted_rand_score(truth, clustering.cluster(vectors, "kmeans"))
    print(f"ARI ward {ward:.3f} k-means {kmeans:.3f} hdbscan {hdbscan:.3f}")
    assert clustering.METHOD == "ward"
    assert ward >= 0.45
    assert ward > hdbscan


def test_good_examples_and_lessons_of_one_area_share_a_theme(labelled_vectors):
    items, vectors = labelled_vectors
    labels = clustering.cluster(vectors)
    for theme in THEMES:
        rows = [i for i, e in enumerate(items) if e.theme == theme.key]
        main = np.bincount(labels[rows]).argmax()
        kinds = {items[i].kind for i in rows if labels[i] == main}
        assert kinds == {"good", "lesson"}, theme.key


def test_search_by_meaning_recall_at_5(labelled_vectors, no_network):
    items, vectors = labelled_vectors
    hits = precision = 0.0
    for query, theme in queries():
        found = [items[i].theme for i, _ in nearest(vectors, model.query(query), 5)]
        hits += theme in found
        precision += found.count(theme) / 5
    n = len(queries())
    print(f"recall@5 {hits / n:.2f} precision@5 {precision / n:.2f}")
    assert hits / n >= 0.8
    assert precision / n >= 0.6
    assert no_network == []


def test_characteristic_words_are_danish_content_words(labelled_vectors):
    items, _vectors = labelled_vectors
    by_theme = {t.key: [e.text for e in items if e.theme == t.key] for t in THEMES}
    words = clustering.characteristic_words(dict(enumerate(by_theme.values())))
    assert all(len(w) == 5 for w in words.values())
    assert not set().union(*words.values()) & clustering.STOPWORDS
    vagt = words[list(by_theme).index("vagtplan")]
    assert any(w.startswith("vagt") for w in vagt), vagt


def test_the_vectors_do_not_depend_on_threads_or_batching(labelled_vectors, monkeypatch):
    """The embedding is shared out to threads (model.passages); every text's vector must be
    bit for bit the one it gets alone on one thread, so the speed costs no quality."""
    items, vectors = labelled_vectors
    texts = ["\n".join(t for t in (e.title, e.text, e.lesson) if t) for e in items]
    picks = list(range(0, len(texts), 9))  # 40 texts, of every theme and kind
    monkeypatch.setenv("EMBED_THREADS", "3")  # more threads than this machine's cores
    together = model.passages([texts[i] for i in picks])
    monkeypatch.setenv("EMBED_THREADS", "1")
    alone = np.vstack([model.passages([texts[i]]) for i in picks[:8]])
    assert np.array_equal(together, vectors[picks])
    assert np.array_equal(alone, vectors[picks[:8]])


def test_every_labelled_text_is_within_the_token_budget(labelled_vectors):
    """The budget (model.MAX_TOKENS) leaves the labelled set's vectors, hence the ARI and the
    recall above, exactly as they are: its longest entry is far within it."""
    items, _vectors = labelled_vectors
    longest = max(model.tokens(text_of(e)) for e in items)
    assert longest <= 64 < model.MAX_TOKENS


def test_a_long_passage_is_embedded_from_its_first_max_tokens(labelled_vectors):
    items, _vectors = labelled_vectors
    long = "\n".join(text_of(e) for e in items[:80])  # about 3,300 tokens
    assert model.tokens(long) > 10 * model.MAX_TOKENS
    cut = model.fit(model.normalised(long))
    assert model.normalised(long).startswith(cut)
    assert model.MAX_TOKENS - 8 <= model.tokens(cut) <= model.MAX_TOKENS  # whole words
    assert np.array_equal(model.passages([long]), model.passages([cut]))
    short = text_of(items[0])
    assert model.fit(short) == short


def test_whitespace_does_not_make_another_text():
    """The tokenizer reads runs of spaces and line breaks inside a text as one space, so the
    normalised text (the one embedded, and the backfill's key for embedding a text once) has
    the very same vector."""
    text = "Vi lod borgerne vælge tidspunktet.\nDet gav  ro i hjemmeplejen."
    assert (
        model.normalised(f"  {text}\n")
        == "Vi lod borgerne vælge tidspunktet. Det gav ro i hjemmeplejen."
    )
    assert np.array_equal(
        model._engine().passage([text]), model._engine().passage([model.normalised(text)])
    )
