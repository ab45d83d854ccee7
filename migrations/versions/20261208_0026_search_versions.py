"""search versions: search_versions (one stamp per tenant, renewed by triggers whenever a row its
published matrix is made of changes), so the search's freshness check is one primary-key lookup

The search keeps each tenant's matrix of published vectors in memory (web/themes/search.py) and
asked, at every search, whether it was still current: seven, then three aggregate scans over
the tenant's vectors, entries and offered examples (179 ms, then about 100 ms at 20,000 entries,
the page's p99 339 ms). Now a trigger on each of those tables gives the tenant a new stamp in the
transaction that changes them, whoever writes (a request, a worker, SQL by hand, a foreign key's
cascade), and the search compares one stamp.

- A tenant without a row has had no such change since this migration (its stamp reads None).
- The stamp is a random number, not a counter: SQLite hands a rolled-back or deleted
  tenant's id out again, and a counter starting over could meet a value a process still holds.
- PostgreSQL: a constraint trigger deferred to the commit, so the stamp's row is locked only
  while the transaction commits. An immediate trigger would hold it from the first changed row
  on, and two writers of one tenant taking a row and the stamp in opposite orders would
  deadlock (HR approving an entry while a backfill or a compilation writes). The function runs
  under the row's own tenant (row-level security: ``app.tenant_id``), as a transaction may have
  moved to another tenant's scope since. Examples count only while offered (``offered_at`` set) (published entries
  come only from offered ones); an example's insert changes nothing (no entry refers to it yet).
- SQLite: plain AFTER triggers (SQLite has no deferred triggers; a writer holds the whole
  database until it commits anyway). The test suite's transactions on PostgreSQL set the
  constraint triggers IMMEDIATE (tests/conftest.py), as they never commit.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 02:10:00

"""
from alembic import op
import sqlalchemy as sa

from web import rls


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

# (table, event, condition): the writes that can change a tenant's published matrix.
WATCHED = (
    ('entry_embeddings', 'INSERT', None),
    ('entry_embeddings', 'UPDATE', None),
    ('entry_embeddings', 'DELETE', None),
    ('collection_entries', 'INSERT', None),
    ('collection_entries', 'UPDATE', None),
    ('collection_entries', 'DELETE', None),
    ('examples', 'UPDATE', 'OLD.offered_at IS NOT NULL OR NEW.offered_at IS NOT NULL'),
    ('examples', 'DELETE', 'OLD.offered_at IS NOT NULL'),
)

_PG_FUNCTION = """
CREATE FUNCTION search_version_renew() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tenant integer;
  scope text := current_setting('app.tenant_id', true);
BEGIN
  IF TG_OP = 'DELETE' THEN
    tenant := OLD.tenant_id;
  ELSE
    tenant := NEW.tenant_id;
  END IF;
  IF scope IS DISTINCT FROM tenant::text THEN
    PERFORM set_config('app.tenant_id', tenant::text, true);
  END IF;
  -- From tenants: a tenant deleted in the same transaction gets no row. Once per transaction:
  -- a row this transaction wrote already carries its id (xmin); renewing it at every row would
  -- lengthen its chain of versions, and each renewal walks it (quadratic: 20 s for 60,000 rows).
  INSERT INTO search_versions (tenant_id, version)
    SELECT id, floor(random() * 9007199254740991)::bigint FROM tenants WHERE id = tenant
    ON CONFLICT (tenant_id) DO UPDATE SET version = EXCLUDED.version
    WHERE search_versions.xmin::text::bigint <> txid_current() % 4294967296;
  IF scope IS DISTINCT FROM tenant::text THEN
    PERFORM set_config('app.tenant_id', coalesce(scope, ''), true);
  END IF;
  RETURN NULL;
END $$
"""

_SQLITE_RENEW = """
INSERT INTO search_versions (tenant_id, version)
  SELECT id, random() FROM tenants WHERE id = {row}.tenant_id
  ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
"""


def _name(table: str, event: str) -> str:
    return f"search_version_{table}_{event.lower()}"


def upgrade():
    op.create_table(
        'search_versions',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_search_versions_tenant_id_tenants'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_search_versions')),
    )
    if rls.is_postgresql():
        rls.enable('search_versions')
        op.execute(_PG_FUNCTION)
        for table, event, condition in WATCHED:
            when = f"WHEN ({condition}) " if condition else ""
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {_name(table, event)} AFTER {event} ON {table} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {when}"
                f"EXECUTE FUNCTION search_version_renew()"
            )
    else:
        for table, event, condition in WATCHED:
            when = f"WHEN {condition} " if condition else ""
            row = "OLD" if event == "DELETE" else "NEW"
            op.execute(
                f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} FOR EACH ROW "
                f"{when}BEGIN {_SQLITE_RENEW.format(row=row)} END"
            )


def downgrade():
    for table, event, _condition in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS {_name(table, event)}"
                   + (f" ON {table}" if rls.is_postgresql() else ""))
    if rls.is_postgresql():
        op.execute("DROP FUNCTION IF EXISTS search_version_renew()")
        rls.disable('search_versions')
    op.drop_table('search_versions')
