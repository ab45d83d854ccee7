"""The labelled set's vectors (embedded once per run, with every socket refused), and a
municipality whose teams have approved entries."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import numpy as np
import pytest

from tests.themes.labelled import LabelledEntry, entries


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch) -> Iterator[list[tuple]]:
    """Refuse (and record) every outgoing connection and name lookup of this process."""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise NetworkUsed(f"network used: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield attempts


def text_of(entry: LabelledEntry) -> str:
    return "\n".join(t for t in (entry.title, entry.text, entry.lesson) if t)


@pytest.fixture(scope="session")
def labelled_vectors() -> tuple[list[LabelledEntry], np.ndarray]:
    from web.themes import model

    items = entries()
    with pytest.MonkeyPatch.context() as patch:
        def refuse(*args, **kwargs):
            raise NetworkUsed(f"network used: {args!r}")

        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        vectors = model.passages([text_of(e) for e in items])
    return items, vectors
