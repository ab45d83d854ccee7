"""A shared cache in Redis for expensive tenant-wide page parts (the HR overview).

``remember(key, ttl, compute, refresh)`` answers with a ``Copy``: the cached text and when it
was computed. A request never computes while any copy exists:

- a copy younger than ``ttl`` seconds is served as it is;
- an older copy is served too, and ``refresh(version)`` is called once (by the first request
  to take the key's lock) to have it recomputed elsewhere — a Celery task, which calls
  ``recompute`` and so stores the new copy and releases the lock (or does nothing when that
  version was replaced meanwhile);
- only without any copy (the first request ever, or an emptied Redis) does a request compute,
  and then only one: the others wait for its copy (at most ``COLD_WAIT_SECONDS``).

Copies are kept for ``KEEP_SECONDS``, so a copy that nobody refreshed is still served (its age
shown) rather than computed in a request. Each read is noted, so that ``due_for_refresh`` (the
beat's) keeps fresh what people actually read, and nothing else.

Without Redis (the embedded default), with ``ttl`` 0, or when Redis does not answer,
``compute`` simply runs in the request: the cache only ever makes things faster.

Keys are namespaced by the database the app uses, so deployments and test runs that share a
Redis never read each other's values; callers put the tenant in ``key``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from flask import current_app

log = logging.getLogger(__name__)

KEEP_SECONDS = 7 * 24 * 3600  # how long an unrefreshed copy is still served (with its age)
LOCK_SECONDS = 120  # a computation (or a lost refresh task) blocks another this long at most
COLD_WAIT_SECONDS = 20  # a request waits this long for another's first copy, then computes
POLL_SECONDS = 0.05
READ_WINDOW_SECONDS = 3600  # copies read within this are the ones the beat keeps fresh
_EXTENSION = "aktorskab_cache"


@dataclass(frozen=True)
class Copy:
    value: str
    computed_at: datetime  # when the computation started (UTC): its figures are at least this new
    is_stale: bool = False  # older than the ttl; a recomputation is under way
    version: str = ""  # the stored copy's stamp, naming exactly this copy

    @property
    def age(self) -> float:
        return time.time() - self.computed_at.timestamp()


def _client():
    app = current_app
    if _EXTENSION not in app.extensions:
        url = app.config.get("REDIS_URL")
        client = None
        if url:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        app.extensions[_EXTENSION] = client
    return app.extensions[_EXTENSION]


def _namespace() -> str:
    database = current_app.config["SQLALCHEMY_DATABASE_URI"].encode()
    return f"aktorskab:{hashlib.sha256(database).hexdigest()[:12]}"


def _full_key(key: str) -> str:
    return f"{_namespace()}:{key}"


def _reads_key() -> str:
    """A sorted set of the keys read, scored by when they were last read."""
    return f"{_namespace()}:reads"


def is_enabled(ttl: int) -> bool:
    return ttl > 0 and _client() is not None


def remember(
    key: str, ttl: int, compute: Callable[[], str], refresh: Callable[[str], None]
) -> Copy:
    """The copy of ``key``; see the module's docstring for when ``compute`` or ``refresh`` run."""
    if not is_enabled(ttl):
        return _computed(compute)
    import redis

    client = _client()
    full = _full_key(key)
    try:
        copy = _read(client, full, mark_read=key)
        if copy is not None and copy.age >= ttl and _lock(client, full):
            # Read again with the lock: a refresh may have stored a new copy and released the
            # lock between our read and our lock; then that one is served, and none started.
            latest = _read(client, full)
            if latest is not None and latest.version != copy.version:
                _unlock(client, full)
                copy = latest
            else:
                _start_refresh(client, full, lambda: refresh(copy.version))
    except redis.RedisError:
        log.warning("cache unavailable for %s; computing", key, exc_info=True)
        return _computed(compute)
    if copy is None:
        return _cold(client, full, compute)
    return replace(copy, is_stale=copy.age >= ttl)


def recompute(key: str, compute: Callable[[], str], replacing: str | None) -> bool:
    """Compute and store a new copy of ``key`` in place of its copy ``replacing`` (a version;
    None: there was none), then release the key's lock, which whoever asked for this holds
    (``remember`` or ``due_for_refresh``). Nothing is computed when that copy was replaced
    meanwhile (a second refresh of the same copy). True if it computed."""
    client = _client()
    if client is None:
        return False
    full = _full_key(key)
    try:
        copy = _read(client, full)
        if (None if copy is None else copy.version) != replacing:
            return False
        _store(client, full, _computed(compute))
        return True
    finally:
        _unlock(client, full)


def due_for_refresh(prefix: str, older_than: float) -> list[tuple[str, str | None]]:
    """Keys starting with ``prefix`` read within ``READ_WINDOW_SECONDS`` whose copy is missing or
    older than ``older_than`` seconds, with that copy's version (None: missing); each is locked
    for its refresh, so only one is started."""
    client = _client()
    if client is None:
        return []
    reads = _reads_key()
    client.zremrangebyscore(reads, "-inf", time.time() - READ_WINDOW_SECONDS)
    due = []
    for raw in client.zrange(reads, 0, -1):
        key = raw.decode()
        if not key.startswith(prefix):
            continue
        full = _full_key(key)
        copy = _read(client, full)
        if (copy is None or copy.age >= older_than) and _lock(client, full):
            due.append((key, None if copy is None else copy.version))
    return due


def release(key: str) -> None:
    """Give up the lock ``due_for_refresh`` took, when the refresh could not be started."""
    client = _client()
    if client is not None:
        client.delete(_lock_key(_full_key(key)))


def forget(key: str) -> None:
    """Drop a cached value (e.g. after a change its readers should see at once)."""
    client = _client()
    if client is not None:
        import redis

        try:
            client.delete(_full_key(key))
        except redis.RedisError:
            log.warning("could not drop %s from the cache", key, exc_info=True)


def forget_prefix(prefix: str) -> int:
    """Drop every copy whose key starts with ``prefix`` (e.g. a tenant being offboarded: its
    figures must not outlive it), with their locks and read notes. Returns how many."""
    client = _client()
    if client is None:
        return 0
    import redis

    try:
        full = _full_key(prefix)
        keys = list(client.scan_iter(match=f"{full}*"))
        if keys:
            client.delete(*keys)
        reads = [k for k in client.zrange(_reads_key(), 0, -1) if k.decode().startswith(prefix)]
        if reads:
            client.zrem(_reads_key(), *reads)
        return sum(1 for k in keys if not k.endswith(b":lock"))
    except redis.RedisError:
        log.warning("could not drop %s* from the cache", prefix, exc_info=True)
        return 0


# --- internals ---------------------------------------------------------------------------------


def _computed(compute: Callable[[], str]) -> Copy:
    started = datetime.now(UTC)
    return Copy(compute(), started)


def _lock_key(full: str) -> str:
    return f"{full}:lock"


def _lock(client, full: str) -> bool:
    return bool(client.set(_lock_key(full), b"1", nx=True, ex=LOCK_SECONDS))


def _read(client, full: str, mark_read: str | None = None) -> Copy | None:
    if mark_read is None:
        stored = client.get(full)
    else:  # one round trip: the copy, and a note that someone read it now
        pipe = client.pipeline(transaction=False)
        pipe.get(full)
        pipe.zadd(_reads_key(), {mark_read: time.time()})
        stored, _ = pipe.execute()
    if stored is None:
        return None
    stamp, _, value = stored.partition(b"\n")
    try:
        computed_at = datetime.fromtimestamp(float(stamp), UTC)
    except ValueError:  # not written by this module: as good as no copy
        return None
    return Copy(value.decode(), computed_at, version=stamp.decode())


def _store(client, full: str, copy: Copy) -> None:
    stamp = f"{copy.computed_at.timestamp():.3f}\n".encode()
    client.set(full, stamp + copy.value.encode(), ex=KEEP_SECONDS)


def _start_refresh(client, full: str, refresh: Callable[[], None]) -> None:
    try:
        refresh()
    except Exception:  # the broker did not take it: the next request may try again
        log.warning("could not start the refresh of %s", full, exc_info=True)
        client.delete(_lock_key(full))


def _cold(client, full: str, compute: Callable[[], str]) -> Copy:
    """No copy at all: one request computes it, concurrent ones wait for that copy."""
    import redis

    deadline = time.monotonic() + COLD_WAIT_SECONDS
    while True:
        try:
            locked = _lock(client, full)
            if not locked:
                time.sleep(POLL_SECONDS)
            # Read again even with the lock: another request may have stored its copy and
            # released the lock between our first read and our lock.
            copy = _read(client, full)
        except redis.RedisError:
            log.warning("cache unavailable for %s; computing", full, exc_info=True)
            return _computed(compute)
        if copy is not None:
            if locked:
                _unlock(client, full)
            return copy
        if locked:
            break
        if time.monotonic() >= deadline:
            log.warning("waited %ss for %s; computing it here too", COLD_WAIT_SECONDS, full)
            return _computed(compute)
    try:
        copy = _computed(compute)
        try:
            _store(client, full, copy)
        except redis.RedisError:
            log.warning("could not cache %s", full, exc_info=True)
        return copy
    finally:
        _unlock(client, full)


def _unlock(client, full: str) -> None:
    import redis

    with contextlib.suppress(redis.RedisError):
        client.delete(_lock_key(full))
