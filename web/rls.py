"""PostgreSQL row-level security for tenant-owned tables, used by migrations.

Every table with a ``tenant_id`` column gets a policy that admits only the rows of the tenant
in the transaction-local setting ``app.tenant_id`` (set by ``web.tenancy``), FORCEd so that the
table owner is bound too. The application and the workers connect as ``APP_ROLE``, which owns
nothing; migrations run as the owner (``DATABASE_OWNER_URL``).
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

APP_ROLE = "aktorskab_app"
POLICY = "tenant_isolation"
_CURRENT = "NULLIF(current_setting('app.tenant_id', true), '')::integer"


def is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def ensure_app_role() -> None:
    """Create the application's login role if it does not exist yet and grant it the data.

    When DATABASE_URL names this role with a password, the role gets that password, so a
    fresh deployment needs nothing but its two URLs.
    """
    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} LOGIN;
          END IF;
        END $$""")
    password = _app_password()
    if password:
        # Utility statements take no bind parameters: quote as a standard SQL literal.
        literal = "'" + password.replace("'", "''") + "'"
        op.execute(f"ALTER ROLE {APP_ROLE} PASSWORD {literal}")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
               f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
               f"GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")


def _app_password() -> str | None:
    from flask import current_app, has_app_context
    from sqlalchemy.engine import make_url

    if not has_app_context():
        return None
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    return url.password if url.username == APP_ROLE else None


def tenant_tables() -> list[str]:
    rows = op.get_bind().execute(text(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name"))
    return [r[0] for r in rows]


def enable(table: str) -> None:
    """Isolate ``table`` by tenant; call it for every new tenant-owned table in a migration."""
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
    op.execute(f'CREATE POLICY {POLICY} ON "{table}" '
               f"USING (tenant_id = {_CURRENT}) WITH CHECK (tenant_id = {_CURRENT})")


def disable(table: str) -> None:
    op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
    op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
