"""Readiness: the database answers, the broker answers, the schema is at the newest migration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import text

from web.extensions import db


def readiness(app: Flask) -> dict[str, dict[str, Any]]:
    return {
        "database": _check(_database),
        "migrations": _check(lambda: _migrations(app)),
        "broker": _check(lambda: _broker(app)),
    }


def _check(fn) -> dict[str, Any]:
    try:
        detail = fn()
    except Exception as exc:  # a readiness probe reports, it never raises
        return {"ok": False, "detail": type(exc).__name__}
    return {"ok": detail is None, **({"detail": detail} if detail else {})}


def _database() -> None:
    db.session.execute(text("SELECT 1"))


def _migrations(app: Flask) -> str | None:
    directory = app.extensions["migrate"].directory
    script = ScriptDirectory(str(Path(directory)))
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    heads = set(script.get_heads())
    return None if current == heads else f"at {sorted(current)}, expected {sorted(heads)}"


def _broker(app: Flask) -> None:
    celery = app.extensions["celery"]
    with celery.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
