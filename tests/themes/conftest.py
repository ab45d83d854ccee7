"""The labelled set's vectors (embedded once per run, with every socket refused), and a
municipality whose teams have approved entries."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from tests.themes.labelled import LabelledEntry, entries


class NetworkUsed(AssertionError):
    pass


LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _guarded(patch, attempts: list[tuple]) -> None:
    """Refuse (and record) every connection and name lookup that would leave this machine;
    loopback (the deployment's own PostgreSQL and Redis) stays allowed."""
    connect, connect_ex, getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def outside(address) -> bool:
        host = address[0] if isinstance(address, tuple) else None
        return host is not None and host not in LOOPBACK

    def guarded_connect(self, address):
        if outside(address):
            attempts.append(address)
            raise NetworkUsed(f"network used: {address!r}")
        return connect(self, address)

    def guarded_connect_ex(self, address):
        if outside(address):
            attempts.append(address)
            raise NetworkUsed(f"network used: {address!r}")
        return connect_ex(self, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host not in LOOPBACK and host is not None:
            attempts.append((host,))
            raise NetworkUsed(f"name looked up: {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    patch.setattr(socket.socket, "connect", guarded_connect)
    patch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    patch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


@pytest.fixture
def no_network(monkeypatch) -> list[tuple]:
    attempts: list[tuple] = []
    _guarded(monkeypatch, attempts)
    return attempts


def text_of(entry: LabelledEntry) -> str:
    return "\n".join(t for t in (entry.title, entry.text, entry.lesson) if t)


@pytest.fixture(scope="session")
def labelled_vectors() -> tuple[list[LabelledEntry], np.ndarray]:
    from web.themes import model

    items = entries()
    attempts: list[tuple] = []
    with pytest.MonkeyPatch.context() as patch:
        _guarded(patch, attempts)
        vectors = model.passages([text_of(e) for e in items])
    assert attempts == []
    return items, vectors


# --- a municipality with approved entries from several teams ----------------------------------

from tests.collections.conftest import town  # noqa: E402, F401 - the shared world
from tests.collections.town import Town  # noqa: E402

VAGT = [e for e in entries() if e.theme == "vagtplan"][:6]
MOEDER = [e for e in entries() if e.theme == "moeder"][:6]


@pytest.fixture
def approved(town: Town, make, scope):  # noqa: F811 - town is the fixture imported above
    """Six rota entries from six teams, six meeting entries from two teams, all approved, and
    one offered example HR has not approved; returns {"vagt": ids, "moeder": ids, "pending": id}.
    """
    from sqlalchemy import select

    from tests.collections.town import offered
    from web.collections.compilation import compile_collection
    from web.collections.models import CollectionEntry
    from web.collections.services import approve_entry
    from web.examples.models import Example, ExampleKind
    from web.extensions import db

    teams = [make.unit(town.tenant, f"Team {n}", parent=town.department) for n in range(6)]
    examples: dict[str, list[int]] = {"vagt": [], "moeder": []}
    for key, items, units in (("vagt", VAGT, teams), ("moeder", MOEDER, teams[:2] * 3)):
        for item, unit in zip(items, units, strict=True):
            example = offered(
                make,
                town,
                unit=unit,
                title=item.title,
                text=item.text,
                lesson=item.lesson,
                kind=ExampleKind(item.kind),
            )
            examples[key].append(example.id)
    pending = offered(
        make,
        town,
        title="Hemmelig plan",
        text="Vi planlægger selv vagterne i hemmelighed og fortæller det ikke til nogen.",
    )
    with scope(town.tenant):
        compile_collection()
        by_example = dict(
            db.session.execute(select(CollectionEntry.example_id, CollectionEntry.id)).all()
        )
        for entry in db.session.scalars(
            select(CollectionEntry).join(Example).where(Example.id != pending.id)
        ):
            approve_entry(town.hr, entry, revision=entry.revision)
        db.session.commit()
    return {
        "vagt": [by_example[i] for i in examples["vagt"]],
        "moeder": [by_example[i] for i in examples["moeder"]],
        "pending": by_example[pending.id],
    }
