"""reminder dispatch: reminder_dispatch (per tenant and channel, the delivery chunks queued and
not yet started), so a planning pass enqueues only the chunks its due rows lack

Planning counted every due row no chunk had claimed yet, including rows whose chunks were still
waiting in the queue, and enqueued chunks for all of them again at every pass: a backlog longer
than one planning period grew the queue by itself (web/reminders/dispatch.py).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08 05:10:00

"""
from alembic import op
import sqlalchemy as sa

from web import rls


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reminder_dispatch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.Enum('email', 'teams', name='channel', native_enum=False,
                                     create_constraint=True), nullable=False),
        sa.Column('queued', sa.Integer(), nullable=False),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_reminder_dispatch_tenant_id_tenants'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_dispatch')),
        sa.UniqueConstraint('tenant_id', 'channel',
                            name=op.f('uq_reminder_dispatch_tenant_id_channel')),
    )
    with op.batch_alter_table('reminder_dispatch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_dispatch_tenant_id'), ['tenant_id'],
                              unique=False)
    if rls.is_postgresql():
        rls.enable('reminder_dispatch')


def downgrade():
    if rls.is_postgresql():
        rls.disable('reminder_dispatch')
    with op.batch_alter_table('reminder_dispatch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_dispatch_tenant_id'))
    op.drop_table('reminder_dispatch')
