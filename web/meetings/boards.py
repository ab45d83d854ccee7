"""The live board rendered once per (meeting, version, view kind, locale), shared by every viewer.

After a change, every open view of the meeting fetches the board again. Rendering it for each of
30 viewers is the cost of a live meeting; so the board is rendered once per version, view kind
(``present``, ``join-f`` for a facilitator's participant view, ``join-m`` for a member's) and
locale, and kept where every web node finds it:

- with Redis (the PostgreSQL deployment): a key per rendering, kept ``KEEP_SECONDS``;
- on the embedded default (SQLite, no Redis): a file per rendering beside the database file,
  which every node of that deployment shares (it shares the database file), written atomically.
- PostgreSQL without Redis: nothing is shared; each fetch renders (as before).

What differs between two viewers of one kind is marked in the rendering and filled in per
viewer (``fill``): the CSRF token (``CSRF_MARK``), the "Jeg er med" form (gone once they
joined), the vote buttons (gone when their votes are used) and the sentence with their votes
left (one variant per number of votes used, the right one kept). ``Viewer`` is what the full
path found about a viewer; it travels in their signed poll ticket, so ``polls.LivePolls`` can
answer a board fetch from the shared rendering before Flask, as it answers an unchanged poll.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, has_app_context
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

KEEP_SECONDS = 600  # a version's rendering outlives the minute its viewers fetch it in
CSRF_MARK = "__live_csrf__"
_BLOCK = re.compile(r"<!--p:(join|vote|used):?(\d*)-->(.*?)<!--/p-->", re.S)
_EXTENSION = "aktorskab_live_boards"


@dataclass(frozen=True)
class Viewer:
    facilitates: bool
    locale: str
    attends: bool
    votes_used: int  # not "left": the number of votes a member has may change meanwhile
    # Which meeting of that id (its start, in µs): an id may come again (SQLite reuses the
    # highest rowid once its row is gone; a restored database), its renderings must not.
    started: int

    @property
    def tag(self) -> str:
        role = "f" if self.facilitates else "m"
        return f"{role}~{self.locale}~{int(self.attends)}~{self.votes_used}~{self.started}"

    @classmethod
    def from_tag(cls, tag: str) -> Viewer | None:
        parts = tag.split("~")
        if len(parts) != 5 or parts[0] not in {"f", "m"} or not parts[1].isalpha():
            return None
        return cls(parts[0] == "f", parts[1], parts[2] == "1", int(parts[3]), int(parts[4]))

    def key(self, meeting_id: int, version: int, view: str) -> str:
        """The shared rendering this viewer sees: meeting (and which), version, kind, locale."""
        return f"{meeting_id}-{self.started}/{version}-{self.kind(view)}-{self.locale}"

    def kind(self, view: str) -> str:
        return view if view == "present" else f"join-{'f' if self.facilitates else 'm'}"


def fill(html: str, viewer: Viewer, csrf: str) -> str:
    """One viewer's board from the shared rendering."""

    def block(found: re.Match) -> str:
        what, inner = found[1], found[3]
        if what == "join":
            return "" if viewer.attends else inner
        votes = int(found[2])  # vote: the votes each member has; used: this variant's count
        if what == "vote":
            return inner if viewer.votes_used < votes else ""
        return inner if votes == viewer.votes_used else ""

    return _BLOCK.sub(block, html).replace(CSRF_MARK, csrf)


class Store:
    """Renderings by (meeting, version, kind, locale): in Redis, or in files."""

    def __init__(self, *, client=None, prefix: str = "", folder: Path | None = None):
        self.client, self.prefix, self.folder = client, prefix, folder

    def get(self, key: str) -> str | None:
        if self.client is not None:
            value = self.client.get(f"{self.prefix}{key}")
            return value.decode() if value is not None else None
        try:
            return (self.folder / f"{key}.html").read_text("utf-8")
        except FileNotFoundError:
            return None

    def put(self, key: str, version: int, html: str) -> None:
        if self.client is not None:
            self.client.set(f"{self.prefix}{key}", html, ex=KEEP_SECONDS)
            return
        target = self.folder / f"{key}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        spare = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
        spare.write_text(html, "utf-8")
        os.replace(spare, target)  # a reader sees the whole file or none
        for old in target.parent.glob("*.html"):  # the versions before the last are done with
            with contextlib.suppress(ValueError, OSError):
                if int(old.name.split("-", 1)[0]) < version - 1:
                    old.unlink()


def store(app: Flask) -> Store | None:
    """The app's store (made once), or None where nothing can be shared."""
    if _EXTENSION not in app.extensions:
        app.extensions[_EXTENSION] = _make(app)
    return app.extensions[_EXTENSION]


def _make(app: Flask) -> Store | None:
    if has_app_context():  # never a context of our own inside a request: its end ends the session
        redis_store = _redis_store()
    else:
        with app.app_context():
            redis_store = _redis_store()
    if redis_store is not None:
        return redis_store
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Store(folder=Path(url.database).resolve().parent / "live-boards")
    return None


def _redis_store() -> Store | None:
    from web import cache

    client = cache._client()
    return None if client is None else Store(client=client, prefix=cache._full_key("live-board:"))


def cached(app: Flask, key: str) -> str | None:
    shared = store(app)
    if shared is None:
        return None
    try:
        return shared.get(key)
    except Exception:  # the store away: render instead
        log.warning("live board store unreadable", exc_info=True)
        return None


def keep(app: Flask, key: str, version: int, html: str) -> None:
    shared = store(app)
    if shared is None:
        return
    try:
        shared.put(key, version, html)
    except Exception:  # the next fetch renders again
        log.warning("live board store unwritable", exc_info=True)
