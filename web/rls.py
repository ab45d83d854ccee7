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
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}"
    )


def _app_password() -> str | None:
    from flask import current_app, has_app_context
    from sqlalchemy.engine import make_url

    if not has_app_context():
        return None
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    return url.password if url.username == APP_ROLE else None


def tenant_tables() -> list[str]:
    rows = op.get_bind().execute(
        text(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name"
        )
    )
    return [r[0] for r in rows]


def enable(table: str) -> None:
    """Isolate ``table`` by tenant; call it for every new tenant-owned table in a migration."""
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
    op.execute(
        f'CREATE POLICY {POLICY} ON "{table}" '
        f"USING (tenant_id = {_CURRENT}) WITH CHECK (tenant_id = {_CURRENT})"
    )


def disable(table: str) -> None:
    op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
    op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')


# --- the tenants table ---------------------------------------------------------------------------
# Every tenant may read the tenants table (a request finds its tenant by slug before it has a
# scope), but only change or delete its own row; a new tenant is created outside any tenant's
# scope (the operator's command). So one tenant's transaction cannot lower another's k or
# retention, whatever SQL it runs.
_TENANT_POLICIES = {
    "tenants_read": "FOR SELECT USING (true)",
    "tenants_create": "FOR INSERT WITH CHECK (true)",
    "tenants_change_own": f"FOR UPDATE USING (id = {_CURRENT}) WITH CHECK (id = {_CURRENT})",
    "tenants_delete_own": f"FOR DELETE USING (id = {_CURRENT})",
}


def enable_for_tenants() -> None:
    op.execute("ALTER TABLE tenants ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenants FORCE ROW LEVEL SECURITY")
    for name, rule in _TENANT_POLICIES.items():
        op.execute(f"DROP POLICY IF EXISTS {name} ON tenants")
        op.execute(f"CREATE POLICY {name} ON tenants {rule}")


def disable_for_tenants() -> None:
    for name in _TENANT_POLICIES:
        op.execute(f"DROP POLICY IF EXISTS {name} ON tenants")
    op.execute("ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenants DISABLE ROW LEVEL SECURITY")


# --- the audit log's retention role --------------------------------------------------------------
# Nobody logs in as this role: it owns the two SECURITY DEFINER functions through which the
# retention task expires old entries and pseudonymises an erased person's subject, and it is
# the only role besides the owner that the audit log's trigger lets change a row.
RETENTION_ROLE = "aktorskab_audit_retention"


def ensure_retention_role() -> None:
    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{RETENTION_ROLE}') THEN
            CREATE ROLE {RETENTION_ROLE} NOLOGIN;
          END IF;
        END $$""")
    # The migrating role hands the functions to it (ALTER … OWNER needs membership).
    op.execute(f"GRANT {RETENTION_ROLE} TO CURRENT_USER")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {RETENTION_ROLE}")
