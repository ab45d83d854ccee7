"""entry embeddings and themes: entry_embeddings (one float32 vector per approved entry), themes
(clusters per tenant and period, with HR's names, hiding and merges)

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-07 13:40:00

"""
from alembic import op
import sqlalchemy as sa

from web import rls


# revision identifiers, used by Alembic.
# The brief said down_revision "0009"; main already has 0014 on 0009, and two heads would stop
# every test run's `upgrade()`, so this branch chains on 0014. The lead re-chains at merge.
revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None

TABLES = ('entry_embeddings', 'themes')


def upgrade():
    op.create_table(
        'entry_embeddings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('model_version', sa.String(length=80), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.Column('embedded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['collection_entries.id'],
                                name=op.f('fk_entry_embeddings_entry_id_collection_entries'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_entry_embeddings_tenant_id_tenants'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_entry_embeddings')),
        sa.UniqueConstraint('entry_id', name=op.f('uq_entry_embeddings_entry_id')),
    )
    op.create_index(op.f('ix_entry_embeddings_tenant_id'), 'entry_embeddings', ['tenant_id'])
    op.create_table(
        'themes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('words', sa.JSON(), nullable=False),
        sa.Column('entry_ids', sa.JSON(), nullable=False),
        sa.Column('centroid', sa.LargeBinary(), nullable=False),
        sa.Column('name', sa.Text(), nullable=True),
        sa.Column('is_hidden', sa.Boolean(), nullable=False),
        sa.Column('merged_into_id', sa.Integer(), nullable=True),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['merged_into_id'], ['themes.id'],
                                name=op.f('fk_themes_merged_into_id_themes'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_themes_tenant_id_tenants'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_themes')),
    )
    op.create_index(op.f('ix_themes_tenant_id'), 'themes', ['tenant_id'])
    if rls.is_postgresql():
        for table in TABLES:
            rls.enable(table)


def downgrade():
    if rls.is_postgresql():
        for table in TABLES:
            rls.disable(table)
    op.drop_index(op.f('ix_themes_tenant_id'), table_name='themes')
    op.drop_table('themes')
    op.drop_index(op.f('ix_entry_embeddings_tenant_id'), table_name='entry_embeddings')
    op.drop_table('entry_embeddings')
