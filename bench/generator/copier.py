"""Bulk rows by PostgreSQL COPY, stamped with the current tenant (see ``bench.generator``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from web.extensions import db
from web.tenancy import current_tenant_id


class Copier:
    """COPY rows into a table, stamping the current tenant as the first column."""

    def __init__(self, progress: Callable[[int], None]):
        self.tenant_id = current_tenant_id()
        if self.tenant_id is None:
            raise RuntimeError("the generator must run inside tenant_scope()")
        self.conn = db.session.connection().connection.driver_connection
        self.progress = progress

    def reserve(self, table: str, count: int) -> int:
        """The first of ``count`` consecutive ids taken from the table's sequence.

        Safe while this transaction holds the generator's advisory lock and nothing else
        inserts into the (dedicated) database; a clash would fail the COPY, never go unseen.
        """
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
            sequence = cur.fetchone()[0]
            cur.execute("SELECT nextval(%s)", (sequence,))
            first = cur.fetchone()[0]
            cur.execute("SELECT setval(%s, %s)", (sequence, first + count - 1))
        return first

    def copy(
        self, table: str, columns: tuple[str, ...], rows: Iterable[tuple], counted: bool = True
    ) -> int:
        known = set(db.metadata.tables[table].c.keys())
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise RuntimeError(f"{table} has no column(s) {unknown}: update the generator")
        statement = f"COPY {table} (tenant_id, {', '.join(columns)}) FROM STDIN"
        n = 0
        with self.conn.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                copy.write_row((self.tenant_id, *row))
                n += 1
                if counted and n % 10_000 == 0:
                    self.progress(10_000)
        if counted:
            self.progress(n % 10_000)
        return n
