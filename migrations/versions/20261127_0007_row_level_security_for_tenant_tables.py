"""row level security for tenant tables, and the application role

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 12:10:00

"""
from web import rls

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    if not rls.is_postgresql():
        return
    rls.ensure_app_role()
    for table in rls.tenant_tables():
        rls.enable(table)


def downgrade():
    if not rls.is_postgresql():
        return
    for table in rls.tenant_tables():
        rls.disable(table)
