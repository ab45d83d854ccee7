"""redaction: HR's decisions on possible findings, erased people's salted name hashes

collection_entry_decisions: one row per (entry, field, phrase) HR decided (redact or keep).
redaction_erased_names: salted hashes of an erased person's name forms (no name kept).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:40:00

"""
from alembic import op
import sqlalchemy as sa

from web import rls


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('collection_entry_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=16), nullable=False),
    sa.Column('phrase', sa.String(length=200), nullable=False),
    sa.Column('decision', sa.Enum('redact', 'keep', name='findingdecision', native_enum=False,
                                  create_constraint=True, length=6), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['collection_entries.id'], name=op.f('fk_collection_entry_decisions_entry_id_collection_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_collection_entry_decisions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_entry_decisions')),
    sa.UniqueConstraint('entry_id', 'field', 'phrase', name=op.f('uq_collection_entry_decisions_entry_id_field_phrase'))
    )
    with op.batch_alter_table('collection_entry_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_entry_decisions_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collection_entry_decisions_tenant_id'), ['tenant_id'], unique=False)
    op.create_table('redaction_erased_names',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_redaction_erased_names_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redaction_erased_names')),
    sa.UniqueConstraint('tenant_id', 'digest', name=op.f('uq_redaction_erased_names_tenant_id_digest'))
    )
    with op.batch_alter_table('redaction_erased_names', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redaction_erased_names_tenant_id'), ['tenant_id'], unique=False)
    if rls.is_postgresql():
        rls.enable('collection_entry_decisions')
        rls.enable('redaction_erased_names')


def downgrade():
    if rls.is_postgresql():
        rls.disable('redaction_erased_names')
        rls.disable('collection_entry_decisions')
    op.drop_table('redaction_erased_names')
    op.drop_table('collection_entry_decisions')
