"""Sum the shared buffers a request's SQL statements read, so a plan going bad fails a test.

A query-count guard (tests/querycount.py) sees an N+1, not one statement whose plan turned
into a scan of the tenant. ``buffers_for`` records each statement a request sends, with its
parameters, then replays them in order, each under ``EXPLAIN (ANALYZE, BUFFERS, FORMAT
JSON)``, on a connection of the app's own engine (its role, so row-level security filters as in
the request; the replayed ``set_config`` of the tenant included) in one transaction that is
rolled back. PostgreSQL only.

    response, page = buffers_for(client, "get", url)
    assert page.total <= 2_000, str(page)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import event

_SKIPPED = (
    "SAVEPOINT",
    "RELEASE SAVEPOINT",
    "ROLLBACK TO SAVEPOINT",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SHOW",
    "SET ",
)


@dataclass
class Explained:
    statement: str
    buffers: int  # shared blocks hit + read by the execution (the plan's top node sums them)
    plan: dict


@dataclass
class PageBuffers:
    statements: list[Explained] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(s.buffers for s in self.statements)

    def worst(self) -> Explained:
        return max(self.statements, key=lambda s: s.buffers)

    def __str__(self) -> str:
        lines = [f"{s.buffers:>7} buffers: {s.statement[:300]}" for s in self.statements]
        worst = self.worst() if self.statements else None
        if worst is not None:
            lines.append("worst plan:\n" + json.dumps(worst.plan, indent=1)[:4000])
        return "\n".join(lines)


def _buffers(plan: dict) -> int:
    return int(plan.get("Shared Hit Blocks", 0)) + int(plan.get("Shared Read Blocks", 0))


def buffers_for(client, method: str, url: str, **kw) -> tuple[object, PageBuffers]:
    """Send one request with the test client; return (response, its statements' buffers)."""
    app = client.application
    with app.app_context():
        from web.extensions import db

        engine = db.engine
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if not executemany and not statement.lstrip().upper().startswith(_SKIPPED):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.open(url, method=method.upper(), **kw)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    page = PageBuffers()
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        try:
            for statement, parameters in sent:
                cursor.execute(
                    f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}", parameters or None
                )
                plan = cursor.fetchone()[0][0]["Plan"]
                page.statements.append(Explained(" ".join(statement.split()), _buffers(plan), plan))
        finally:
            cursor.close()
            conn.rollback()
    return response, page
