"""the audit log refuses UPDATE, DELETE and TRUNCATE to the app (retention through its own
role), and the tenants table is under row-level security

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 08:00:00

PostgreSQL only (SQLite has neither roles nor policies; the ORM's own guard stays).
"""
from alembic import op

from web import rls

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

APP = rls.APP_ROLE
RETENTION = rls.RETENTION_ROLE
# Kept in step with web.audit.retention.AUDIT_RETENTION_MONTHS: the database refuses to
# expire anything younger, whoever asks.
MONTHS = 36

# Who may change a row: the table's owner (migrations, the operator, and the cascades of a
# tenant's deletion, which PostgreSQL runs as the owner); the user foreign key's ON DELETE SET
# NULL (only actor_id becomes NULL); and the retention role, which may delete entries older
# than the retention period and replace a subject by an erased person's pseudonym.
GUARD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID),
                   'MEMBER') THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NEW.actor_id IS NULL
           AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
            RETURN NEW;
        END IF;
        IF current_user = '{RETENTION}' AND NEW.subject LIKE 'erased-%'
           AND (to_jsonb(NEW) - 'subject') = (to_jsonb(OLD) - 'subject') THEN
            RETURN NEW;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF current_user = '{RETENTION}'
           AND OLD.created_at < now() - interval '{MONTHS} months' THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql
"""

OLD_GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF NEW.actor_id IS NULL AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql
"""

TRUNCATE_FUNCTION = """
CREATE FUNCTION audit_log_no_truncate() RETURNS trigger AS $$
BEGIN
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID),
                   'MEMBER') THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql
"""

# Both run as the retention role and inside the caller's tenant (row-level security binds the
# role like any other), so they reach only the current tenant's entries.
EXPIRE_FUNCTION = f"""
CREATE FUNCTION audit_log_expire() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n integer;
BEGIN
    -- The database's own clock and period: a caller cannot ask for a shorter one.
    DELETE FROM audit_log WHERE created_at < now() - interval '{MONTHS} months';
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$
"""

# Only an erased person's rows, and only to that person's pseudonym; the former subject may
# be named only if no current user has it, so this cannot hide anyone else.
PSEUDONYMISE_FUNCTION = """
CREATE FUNCTION audit_log_pseudonymise(p_user_id integer, p_old_subject text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE pseudonym text; n integer;
BEGIN
    SELECT subject INTO pseudonym FROM users WHERE id = p_user_id;
    IF pseudonym IS NULL OR pseudonym NOT LIKE 'erased-%' THEN
        RAISE EXCEPTION 'only an erased person is pseudonymised';
    END IF;
    IF EXISTS (SELECT 1 FROM users WHERE subject = p_old_subject) THEN
        RAISE EXCEPTION 'that subject belongs to a current user';
    END IF;
    UPDATE audit_log SET subject = pseudonym
     WHERE (actor_id = p_user_id OR subject = p_old_subject)
       AND subject IS DISTINCT FROM pseudonym;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$
"""

FUNCTIONS = ("audit_log_expire()", "audit_log_pseudonymise(integer, text)")


def upgrade():
    if not rls.is_postgresql():
        return
    rls.ensure_app_role()
    rls.ensure_retention_role()
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {APP}")
    op.execute(f"GRANT SELECT, DELETE, UPDATE (subject) ON audit_log TO {RETENTION}")
    op.execute(f"GRANT SELECT ON users TO {RETENTION}")
    op.execute(GUARD_FUNCTION)
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
               "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
    op.execute(TRUNCATE_FUNCTION)
    op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_truncate()")
    op.execute(EXPIRE_FUNCTION)
    op.execute(PSEUDONYMISE_FUNCTION)
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} OWNER TO {RETENTION}")
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {APP}")
    rls.enable_for_tenants()


def downgrade():
    if not rls.is_postgresql():
        return
    rls.disable_for_tenants()
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}")
    op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    op.execute("DROP FUNCTION audit_log_no_truncate()")
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute(OLD_GUARD_FUNCTION)
    op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log "
               "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
    op.execute(f"REVOKE ALL ON audit_log FROM {RETENTION}")
    op.execute(f"REVOKE ALL ON users FROM {RETENTION}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {RETENTION}")
    op.execute(f"GRANT UPDATE, DELETE ON audit_log TO {APP}")
