"""reminder outbox: outbox rows, announced meetings, daily slots, unsubscribes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

KINDS = ('preparation_opened', 'preparation_closing', 'meeting_invitation', 'meeting_updated',
         'follow_up_coming', 'action_due_soon', 'action_overdue', 'weekly_digest')


def kind_column():
    return sa.Column('kind', sa.Enum(*KINDS, name='reminderkind', native_enum=False,
                                     create_constraint=True), nullable=False)


def tenant_columns(table):
    return (
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f(f'fk_{table}_tenant_id_tenants'), ondelete='CASCADE'),
    )


def upgrade():
    op.create_table('reminder_unsubscribes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    kind_column(),
    *tenant_columns('reminder_unsubscribes'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminder_unsubscribes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_unsubscribes')),
    sa.UniqueConstraint('user_id', 'kind', name=op.f('uq_reminder_unsubscribes_user_id_kind'))
    )
    with op.batch_alter_table('reminder_unsubscribes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_unsubscribes_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('reminder_meetings',
    sa.Column('cycle_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('meeting_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('meeting_place', sa.String(length=200), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    *tenant_columns('reminder_meetings'),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_reminder_meetings_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cycle_id', name=op.f('pk_reminder_meetings'))
    )
    with op.batch_alter_table('reminder_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_meetings_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('reminder_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    kind_column(),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('due_key', sa.String(length=32), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=True),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', 'cancelled', name='outboxstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.String(length=255), nullable=True),
    *tenant_columns('reminder_outbox'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_reminder_outbox_action_id_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_reminder_outbox_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_reminder_outbox_recipient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_outbox')),
    # The outbox key: planning twice (two beats, a retried task) never makes a second row.
    sa.UniqueConstraint('recipient_id', 'kind', 'target_id', 'due_key', name=op.f('uq_reminder_outbox_recipient_id_kind_target_id_due_key'))
    )
    with op.batch_alter_table('reminder_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_outbox_action_id'), ['action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_outbox_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_outbox_tenant_id'), ['tenant_id'], unique=False)
        # Delivery's claim: due pending rows of one tenant, oldest first.
        batch_op.create_index('ix_reminder_outbox_tenant_id_status_next_attempt_at', ['tenant_id', 'status', 'next_attempt_at'], unique=False)

    op.create_table('reminder_day_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    kind_column(),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    *tenant_columns('reminder_day_slots'),
    sa.ForeignKeyConstraint(['outbox_id'], ['reminder_outbox.id'], name=op.f('fk_reminder_day_slots_outbox_id_reminder_outbox'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_reminder_day_slots_recipient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_day_slots')),
    # At most one reminder of a kind per person per cycle per day.
    sa.UniqueConstraint('recipient_id', 'kind', 'cycle_id', 'day', name=op.f('uq_reminder_day_slots_recipient_id_kind_cycle_id_day'))
    )
    with op.batch_alter_table('reminder_day_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_day_slots_outbox_id'), ['outbox_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_day_slots_tenant_id'), ['tenant_id'], unique=False)


def downgrade():
    op.drop_table('reminder_day_slots')
    op.drop_table('reminder_outbox')
    op.drop_table('reminder_meetings')
    op.drop_table('reminder_unsubscribes')
