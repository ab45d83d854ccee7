"""A short-lived shared cache in Redis for expensive tenant-wide page parts (the HR overview).

``remember(key, ttl, compute)`` returns the cached text if it is younger than ``ttl`` seconds.
An older copy is still served while exactly one process (holding a short lock) computes the
new one, so a busy page pays for the computation in one request per ``ttl``, never in many at
once. Without Redis (the embedded default), with ``ttl`` 0, or when Redis does not answer,
``compute`` simply runs: the cache only ever makes things faster, never wrong for longer than
``ttl`` plus one computation.

Keys are namespaced by the database the app uses, so deployments and test runs that share a
Redis never read each other's values; callers put the tenant in ``key``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

from flask import current_app

log = logging.getLogger(__name__)

STALE_FOR = 10  # a stale copy is kept (and served during a recomputation) for ttl × this
LOCK_SECONDS = 60  # a recomputation that takes longer than this may be started twice
_EXTENSION = "aktorskab_cache"


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


def _full_key(key: str) -> str:
    database = current_app.config["SQLALCHEMY_DATABASE_URI"].encode()
    return f"aktorskab:{hashlib.sha256(database).hexdigest()[:12]}:{key}"


def remember(key: str, ttl: int, compute: Callable[[], str]) -> str:
    client = _client() if ttl > 0 else None
    if client is None:
        return compute()
    import redis

    full = _full_key(key)
    try:
        stored = client.get(full)
        if stored is not None:
            stamp, _, value = stored.partition(b"\n")
            if time.time() - float(stamp) < ttl:
                return value.decode()
            if not client.set(f"{full}:lock", b"1", nx=True, ex=LOCK_SECONDS):
                return value.decode()  # another process is recomputing: the last copy will do
    except (redis.RedisError, ValueError):
        log.warning("cache unavailable for %s; computing", key, exc_info=True)
        return compute()
    value = compute()
    try:
        client.set(full, f"{time.time():.3f}\n".encode() + value.encode(), ex=ttl * STALE_FOR)
        client.delete(f"{full}:lock")
    except redis.RedisError:
        log.warning("could not cache %s", key, exc_info=True)
    return value


def forget(key: str) -> None:
    """Drop a cached value (e.g. after a change its readers should see at once)."""
    client = _client()
    if client is not None:
        import redis

        try:
            client.delete(_full_key(key))
        except redis.RedisError:
            log.warning("could not drop %s from the cache", key, exc_info=True)
