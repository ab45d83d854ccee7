"""Count the SQL statements a block (usually one request) sends, so an N+1 fails a test.

    with count_queries() as queries:
        client.get("/t/solby/")
    assert queries.count <= 12

``queries.statements`` keeps the SQL for the failure message. Savepoint bookkeeping of the test
transaction (SAVEPOINT / RELEASE / ROLLBACK TO) is not counted: it is the fixture's, not the
page's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import Engine

_BOOKKEEPING = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@dataclass
class QueryLog:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return "\n".join(f"{i}: {s}" for i, s in enumerate(self.statements, 1))


@contextmanager
def count_queries(engine: Engine | None = None) -> Iterator[QueryLog]:
    """Record every statement sent through ``engine`` (default: the app's) inside the block."""
    if engine is None:
        from web.extensions import db

        engine = db.engine
    log = QueryLog()

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith(_BOOKKEEPING):
            log.statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", record)


def queries_for(client, method: str, url: str, **kw) -> tuple[object, QueryLog]:
    """Send one request with the test client and return (response, its statements)."""
    app = client.application
    with app.app_context():
        from web.extensions import db

        engine = db.engine
    with count_queries(engine) as log:
        response = client.open(url, method=method.upper(), **kw)
    return response, log
