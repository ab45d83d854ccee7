"""reports.published_rows: what each published row covered and showed, for the exact audit

Each finished report keeps, per row, the member ids and org unit ids it covered (as of its
snapshot) and the cells it showed, so later reports of overlapping periods can be audited
against it after any reorganisation (web.reports.anonymity). Reports made before this revision
have only their people groups (no values) and are not part of the audit.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reports') as batch:
        batch.add_column(sa.Column('published_rows', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('reports') as batch:
        batch.drop_column('published_rows')
