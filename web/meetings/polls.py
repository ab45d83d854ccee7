"""The live meeting's poll, answered before the application when nothing changed.

Every open view asks ``/t/<slug>/cycles/<id>/live/state`` each second. The full answer goes
through the whole signed-in floor (session, user, the cycle, ``Permission.FACILITATE`` or
``CONTRIBUTE``) and carries an ``ETag``: a *poll ticket*, signed with ``SECRET_KEY``, naming the
meeting, the version the view now knows, when the ticket expires (``TICKET_SECONDS``) and a
digest of the session cookie's content it was given to (``cookie_digest``). The view sends
it back as ``If-None-Match``.

``LivePolls`` (WSGI middleware in front of Flask) answers such a poll with ``304 Not Modified``
when the ticket's signature holds, it has not expired, the request carries the very cookie it
was given to, and the meeting's version is still the ticket's. The current version comes from
one cheap read:

- with Redis (``REDIS_URL``, the PostgreSQL deployment): ``GET`` of the meeting's key, which
  every committed change raises (``publish_after_commit``); a missing key goes to the full path;
- on the embedded default (SQLite, no Redis): the ``live_meetings`` row, by primary key, on the
  application's engine.

Anything else (no ticket, a changed version, an expired ticket, another cookie, Redis away)
goes to the full path, which checks everything again and hands out a new ticket. So a 304 only
ever tells the holder of a ticket it was given after those checks, within ``TICKET_SECONDS``,
that nothing moved; the content itself is only in the board, fetched through the full floor.

The Redis key is only raised, never lowered (a Lua "max"), so two nodes committing changes in
either order leave the highest version; a lost write after a commit is repaired by the next
full-path poll (at the latest when the tickets expire), which writes the database's version.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import time
from http.cookies import SimpleCookie

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

TICKET_SECONDS = 120  # a full, checked poll at least this often per open view
KEY_SECONDS = 24 * 3600  # a meeting's key in Redis outlives any meeting day
PATH = re.compile(r"^/t/[a-z0-9-]{1,63}/cycles/([0-9]{1,12})/live/state$")
_PENDING = "live.versions_after_commit"
_STARTED = "live.started_after_commit"
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
) -> str:
    expires = int((now if now is not None else time.time()) + TICKET_SECONDS)
    payload = f"{cycle_id}.{meeting_id}.{version}.{expires}.{cookie_digest(cookie)}"
    return f"{payload}.{_signature(secret, payload)}"


def read_ticket(
    secret: bytes, ticket: str, *, cycle_id: int, cookie: str | None, now: float | None = None
) -> tuple[int, int] | None:
    """(meeting id, version) of a valid ticket for this cycle and cookie, else None."""
    parts = ticket.strip().strip('"').removeprefix('W/"').split(".")
    if len(parts) != 6:
        return None
    cycle, meeting, version, expires, digest, signature = parts
    payload = ".".join(parts[:5])
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        return None
    if cycle != str(cycle_id) or digest != cookie_digest(cookie):
        return None
    if int(expires) < (now if now is not None else time.time()):
        return None
    return int(meeting), int(version)


# --- the version: Redis, or the database row on the embedded default ---------------------------


def _redis():
    from web import cache

    return cache._client()


def redis_key(meeting_id: int) -> str:
    from web import cache

    return cache._full_key(f"live:{meeting_id}")


def publish(versions: dict[int, int], *, started: frozenset[int] = frozenset()) -> None:
    """Raise each meeting's key in Redis to its committed version (no Redis: nothing to do);
    a meeting just ``started`` sets its key outright (an id used before, in a restored or
    emptied database, must not keep an old key's number)."""
    client = _redis()
    if client is None or not versions:
        return
    import redis

    try:
        raise_ = client.register_script(_RAISE)
        for meeting_id, version in versions.items():
            if meeting_id in started:
                client.set(redis_key(meeting_id), version, ex=KEY_SECONDS)
            else:
                raise_(keys=[redis_key(meeting_id)], args=[version, KEY_SECONDS])
    except redis.RedisError:  # the commit stands; the next full poll repairs the key
        log.warning("could not publish live meeting versions %s", versions, exc_info=True)


def remember_change(
    session: Session, meeting_id: int, version: int, *, started: bool = False
) -> None:
    """Called in the transaction of a change; published when (and if) it commits."""
    pending = session.info.setdefault(_PENDING, {})
    pending[meeting_id] = max(version, pending.get(meeting_id, 0))
    if started:
        session.info.setdefault(_STARTED, set()).add(meeting_id)


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    versions = session.info.pop(_PENDING, None)
    started = frozenset(session.info.pop(_STARTED, ()))
    if versions and has_app_context():
        publish(versions, started=started)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_STARTED, None)


class LivePolls:
    """WSGI middleware: a poll with a valid ticket for an unchanged meeting is answered 304
    here, before Flask; every other request goes on to the application unchanged."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.app = app
        self.secret = str(app.config["SECRET_KEY"]).encode()
        self.cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
        self.uses_redis = bool(app.config.get("REDIS_URL"))
        self.sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
        self._client = self._engine = self._prefix = None

    def __call__(self, environ, start_response):
        tag = environ.get("HTTP_IF_NONE_MATCH")
        if tag and environ.get("REQUEST_METHOD") == "GET":
            found = PATH.match(environ.get("PATH_INFO", ""))
            if found and self._unchanged(int(found[1]), tag, environ):
                start_response("304 Not Modified", [("ETag", tag), *_HEADERS_304])
                return [b""]
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

    def _unchanged(self, cycle_id: int, tag: str, environ) -> bool:
        try:
            known = read_ticket(self.secret, tag, cycle_id=cycle_id, cookie=self._cookie(environ))
            if known is None:
                return False
            meeting_id, version = known
            return self.version(meeting_id) == version
        except Exception:  # whatever went wrong, the full path answers properly
            log.debug("live poll fell through", exc_info=True)
            return False

    def version(self, meeting_id: int) -> int | None:
        if self.uses_redis:
            if self._client is None:
                with self.app.app_context():
                    self._client = _redis()
                    self._prefix = redis_key(0)[:-1]
            value = self._client.get(f"{self._prefix}{meeting_id}")
            return int(value) if value is not None else None
        if not self.sqlite:
            return None  # PostgreSQL without Redis: row-level security wants the full path
        if self._engine is None:
            from web.extensions import db

            with self.app.app_context():
                self._engine = db.engine
        with self._engine.connect() as connection:
            return connection.execute(
                text("SELECT version FROM live_meetings WHERE id = :id"), {"id": meeting_id}
            ).scalar()


def init_app(app: Flask) -> None:
    app.wsgi_app = LivePolls(app.wsgi_app, app)


def current_secret() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode()
