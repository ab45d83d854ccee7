"""examples.is_offered goes: an example is offered while offered_at (the consent's moment) is set

``Example.is_offered`` is derived from ``offered_at``. Before the column goes, the two are made
to agree: an example marked offered without a moment gets its last change as the moment, one
not marked offered loses a stale moment. The index follows to (tenant_id, offered_at).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE examples SET offered_at = updated_at "
               "WHERE is_offered AND offered_at IS NULL")
    op.execute("UPDATE examples SET offered_at = NULL WHERE NOT is_offered")
    with op.batch_alter_table('examples', schema=None) as batch_op:
        batch_op.drop_index('ix_examples_tenant_id_is_offered')
        batch_op.create_index('ix_examples_tenant_id_offered_at', ['tenant_id', 'offered_at'],
                              unique=False)
        batch_op.drop_column('is_offered')


def downgrade():
    with op.batch_alter_table('examples', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_offered', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.drop_index('ix_examples_tenant_id_offered_at')
        batch_op.create_index('ix_examples_tenant_id_is_offered', ['tenant_id', 'is_offered'],
                              unique=False)
    op.execute("UPDATE examples SET is_offered = (offered_at IS NOT NULL)")
    with op.batch_alter_table('examples', schema=None) as batch_op:
        batch_op.alter_column('is_offered', server_default=None)
