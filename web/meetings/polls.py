"""The live meeting's poll, answered before the application when nothing changed.

Every open view asks ``/t/<slug>/cycles/<id>/live/state`` about each second (0.75–1.25 s).
The full answer goes through the whole signed-in floor (session, user, the cycle,
``Permission.FACILITATE`` or ``CONTRIBUTE``) and carries an ``ETag``: a *poll ticket*, signed
with ``SECRET_KEY``, naming the meeting, the version the view now knows, when the ticket
expires (``TICKET_SECONDS``), a digest of the session cookie's content it was given to
(``cookie_digest``) and what the full path found about its holder (``boards.Viewer``). The view
sends it back as ``If-None-Match``.

``LivePolls`` (WSGI middleware in front of Flask) answers such a poll with ``304 Not Modified``
when the ticket's signature holds, it has not expired, the request carries the very cookie it
was given to, and the meeting's version is still the ticket's. The current version comes from
one cheap read:

- with Redis (``REDIS_URL``, the PostgreSQL deployment): ``GET`` of the meeting's key, which
  every committed change raises (``publish_after_commit``); a missing key goes to the full path;
- on the embedded default (SQLite, no Redis): the ``live_meetings`` row, by primary key, on the
  application's engine.

When the version moved, the middleware answers the poll too (the new version, and the ticket
moved on to it with the same expiry), and then the board fetch that follows (``?fragment=1``
with the ticket as ``X-Live-Ticket``) from the rendering of that version which the first viewer
of it kept (``web.meetings.boards``), filled in with what the ticket says of its holder (view
kind, locale, joined or not, votes left). So after a change each view costs a ticket check, a
version read and a store read; the meeting's board is rendered once per view kind and locale.
What a ticket lets its holder see beyond "nothing moved" is the meeting's board for up to
``TICKET_SECONDS`` after the full check that gave it (a member taken off the team sees the
board for at most that long; their own votes-left figure from another device is as old).

Anything else (no ticket, an expired ticket, another cookie, Redis away or behind, no kept
rendering) goes to the full path, which checks everything again and hands out a new ticket.

The Redis key is only raised, never lowered (a Lua "max"), so two nodes committing changes in
either order leave the highest version; a lost write after a commit is repaired by the next
full-path poll (at the latest when the tickets expire), which writes the database's version.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

TICKET_SECONDS = 120  # a full, checked poll at least this often per open view
KEY_SECONDS = 24 * 3600  # a meeting's key in Redis outlives any meeting day
PATH = re.compile(r"^/t/[a-z0-9-]{1,63}/cycles/([0-9]{1,12})/live/state$")
BOARD_PATH = re.compile(r"^/t/[a-z0-9-]{1,63}/cycles/([0-9]{1,12})/live(/present)?$")
_PENDING = "live.versions_after_commit"
_STARTED = "live.started_after_commit"
_ENDED = "live.ended_after_commit"
# Raise the key to ARGV[1] unless it already holds as much (and keep it ARGV[2] seconds).
_RAISE = """
local now = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > now then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 0
"""
_HEADERS_304 = [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]
# What the application's after_request sets on every answer (web/security.py), for the 200s.
_HEADERS_200 = [
    *_HEADERS_304,
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signature(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest()[:18])


def cookie_digest(cookie: str | None) -> str:
    """A digest of the session cookie's content (its signed payload without the timestamp and
    signature, which Flask renews on every response of a permanent session): the same while
    the session holds the same values, and only that browser has it (it holds the session's
    random ``sid``)."""
    payload = (cookie or "").rsplit(".", 2)[0]
    return _b64(hashlib.sha256(payload.encode()).digest()[:9])


def make_ticket(
    secret: bytes,
    *,
    cycle_id: int,
    meeting_id: int,
    version: int,
    cookie: str | None,
    now: float | None = None,
    personal: str = "",
    expires: int | None = None,
) -> str:
    """``personal``: what the full path found about the holder (``boards.Viewer.tag``), so
    that the shared board can be filled in for them before Flask; ``expires``: kept when a
    ticket is only moved on to a newer version (a ticket never outlives its full check)."""
    if expires is None:
        expires = int((now if now is not None else time.time()) + TICKET_SECONDS)
    payload = f"{cycle_id}.{meeting_id}.{version}.{expires}.{cookie_digest(cookie)}.{personal}"
    return f"{payload}.{_signature(secret, payload)}"


@dataclass(frozen=True)
class Ticket:
    meeting_id: int
    version: int
    expires: int
    personal: str


def read_full_ticket(
    secret: bytes, ticket: str, *, cycle_id: int, cookie: str | None, now: float | None = None
) -> Ticket | None:
    """The valid ticket for this cycle and cookie, else None."""
    parts = ticket.strip().strip('"').removeprefix('W/"').split(".")
    if len(parts) != 7:
        return None
    cycle, meeting, version, expires, digest, personal, signature = parts
    payload = ".".join(parts[:6])
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        return None
    if cycle != str(cycle_id) or digest != cookie_digest(cookie):
        return None
    if int(expires) < (now if now is not None else time.time()):
        return None
    return Ticket(int(meeting), int(version), int(expires), personal)


def read_ticket(
    secret: bytes, ticket: str, *, cycle_id: int, cookie: str | None, now: float | None = None
) -> tuple[int, int] | None:
    """(meeting id, version) of a valid ticket for this cycle and cookie, else None."""
    found = read_full_ticket(secret, ticket, cycle_id=cycle_id, cookie=cookie, now=now)
    return None if found is None else (found.meeting_id, found.version)


# --- the version: Redis, or the database row on the embedded default ---------------------------


def _redis():
    from web import cache

    return cache._client()


def redis_key(meeting_id: int) -> str:
    from web import cache

    return cache._full_key(f"live:{meeting_id}")


def publish(
    versions: dict[int, int],
    *,
    started: frozenset[int] = frozenset(),
    ended: frozenset[int] = frozenset(),
) -> None:
    """Raise each meeting's key in Redis to its committed version (no Redis: nothing to do);
    a meeting just ``started`` sets its key outright (an id used before, in a restored or
    emptied database, must not keep an old key's number); an ``ended`` one gets its mark."""
    client = _redis()
    if client is None or not versions:
        return
    import redis

    try:
        raise_ = client.register_script(_RAISE)
        for meeting_id, version in versions.items():
            key = redis_key(meeting_id)
            if meeting_id in started:
                client.set(key, version, ex=KEY_SECONDS)
                client.delete(f"{key}:ended")
            else:
                raise_(keys=[key], args=[version, KEY_SECONDS])
            if meeting_id in ended:
                client.set(f"{key}:ended", 1, ex=KEY_SECONDS)
    except redis.RedisError:  # the commit stands; the next full poll repairs the key
        log.warning("could not publish live meeting versions %s", versions, exc_info=True)


def remember_change(
    session: Session, meeting_id: int, version: int, *, started: bool = False, ended: bool = False
) -> None:
    """Called in the transaction of a change; published when (and if) it commits."""
    pending = session.info.setdefault(_PENDING, {})
    pending[meeting_id] = max(version, pending.get(meeting_id, 0))
    if started:
        session.info.setdefault(_STARTED, set()).add(meeting_id)
    if ended:
        session.info.setdefault(_ENDED, set()).add(meeting_id)


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    versions = session.info.pop(_PENDING, None)
    started = frozenset(session.info.pop(_STARTED, ()))
    ended = frozenset(session.info.pop(_ENDED, ()))
    if versions and has_app_context():
        publish(versions, started=started, ended=ended)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_STARTED, None)
    session.info.pop(_ENDED, None)


class LivePolls:
    """WSGI middleware: before Flask, for the holder of a valid ticket, answer

    - a poll of an unchanged meeting: ``304``;
    - a poll of a meeting that moved: its version (the ticket moved on to it, same expiry);
    - the board fetch that follows (``?fragment=1`` with the ticket as ``X-Live-Ticket``): the
      shared rendering of that version for the ticket's view kind and locale, filled in with
      what the ticket says of its holder (``web.meetings.boards``), when a node has kept it.

    Every other request goes on to the application unchanged."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.app = app
        self.secret = str(app.config["SECRET_KEY"]).encode()
        self.cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
        self.uses_redis = bool(app.config.get("REDIS_URL"))
        self.sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
        self._client = self._engine = self._prefix = None
        from web.security import CONTENT_SECURITY_POLICY

        self.headers_200 = [*_HEADERS_200, ("Content-Security-Policy", CONTENT_SECURITY_POLICY)]

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            path = environ.get("PATH_INFO", "")
            tag = environ.get("HTTP_IF_NONE_MATCH")
            if tag:
                found = PATH.match(path)
                if found:
                    answer = self._poll(int(found[1]), tag, environ)
                    if answer is not None:
                        return answer(start_response)
            tag = environ.get("HTTP_X_LIVE_TICKET")
            if tag and environ.get("QUERY_STRING") == "fragment=1":
                found = BOARD_PATH.match(path)
                if found:
                    answer = self._board(int(found[1]), found[2] == "/present", tag, environ)
                    if answer is not None:
                        return answer(start_response)
        return self.wsgi_app(environ, start_response)

    def _cookie(self, environ) -> str | None:
        raw = environ.get("HTTP_COOKIE")
        if not raw:
            return None
        if self.cookie_name not in raw:
            return None
        jar = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:  # a malformed header: the full path answers it
            return None
        morsel = jar.get(self.cookie_name)
        return morsel.value if morsel else None

    def _ticket(self, cycle_id: int, tag: str, environ) -> tuple[Ticket, str | None] | None:
        cookie = self._cookie(environ)
        found = read_full_ticket(self.secret, tag, cycle_id=cycle_id, cookie=cookie)
        return None if found is None else (found, cookie)

    def _moved(self, cycle_id: int, ticket: Ticket, cookie: str | None, version: int) -> str:
        return make_ticket(
            self.secret,
            cycle_id=cycle_id,
            meeting_id=ticket.meeting_id,
            version=version,
            cookie=cookie,
            personal=ticket.personal,
            expires=ticket.expires,
        )

    def _poll(self, cycle_id: int, tag: str, environ):
        try:
            held = self._ticket(cycle_id, tag, environ)
            if held is None:
                return None
            ticket, cookie = held
            current = self.version(ticket.meeting_id)
            if current is None or current[0] < ticket.version:
                return None  # Redis lost or behind: the full path repairs it
            version, ended = current
            if version == ticket.version:
                return _reply("304 Not Modified", [("ETag", tag), *_HEADERS_304])
            moved = self._moved(cycle_id, ticket, cookie, version)
            body = json.dumps({"ended": ended, "version": version}).encode()
            headers = [("ETag", f'"{moved}"'), ("Content-Type", "application/json")]
            return _reply("200 OK", [*headers, *self.headers_200], body)
        except Exception:  # whatever went wrong, the full path answers properly
            log.debug("live poll fell through", exc_info=True)
            return None

    def _board(self, cycle_id: int, present: bool, tag: str, environ):
        from web.meetings import boards

        try:
            held = self._ticket(cycle_id, tag, environ)
            if held is None:
                return None
            ticket, cookie = held
            viewer = boards.Viewer.from_tag(ticket.personal)
            if viewer is None or (present and not viewer.facilitates):
                return None  # the full path refuses (or answers) it
            current = self.version(ticket.meeting_id)
            if current is None or current[0] < ticket.version:
                return None
            version = current[0]
            key = viewer.key(ticket.meeting_id, version, "present" if present else "join")
            shared = boards.cached(self.app, key)
            if shared is None:
                return None  # the first viewer of this version renders it (and keeps it)
            # The CSRF token is the session's; live.js puts the page's into the empty fields.
            body = boards.fill(shared, viewer, "").encode()
            moved = self._moved(cycle_id, ticket, cookie, version)
            headers = [("ETag", f'"{moved}"'), ("Content-Type", "text/html; charset=utf-8")]
            return _reply("200 OK", [*headers, *self.headers_200], body)
        except Exception:
            log.debug("live board fell through", exc_info=True)
            return None

    def version(self, meeting_id: int) -> tuple[int, bool] | None:
        """The meeting's current version and whether it ended, or None (go the whole way)."""
        if self.uses_redis:
            if self._client is None:
                with self.app.app_context():
                    self._client = _redis()
                    self._prefix = redis_key(0)[:-1]
            key = f"{self._prefix}{meeting_id}"
            value, ended = self._client.mget(key, f"{key}:ended")
            return (int(value), ended is not None) if value is not None else None
        if not self.sqlite:
            return None  # PostgreSQL without Redis: row-level security wants the full path
        if self._engine is None:
            from web.extensions import db

            with self.app.app_context():
                self._engine = db.engine
        with self._engine.connect() as connection:
            row = connection.execute(
                text("SELECT version, ended_at FROM live_meetings WHERE id = :id"),
                {"id": meeting_id},
            ).first()
        return None if row is None else (row[0], row[1] is not None)


def _reply(status: str, headers: list[tuple[str, str]], body: bytes = b""):
    def answer(start_response):
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return answer


def init_app(app: Flask) -> None:
    app.wsgi_app = LivePolls(app.wsgi_app, app)


def current_secret() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode()
