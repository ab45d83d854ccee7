"""theme splits: themes.split_group (the parts of a theme HR split carry its first id)

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-07 15:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('themes') as batch:
        batch.add_column(sa.Column('split_group', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('themes') as batch:
        batch.drop_column('split_group')
