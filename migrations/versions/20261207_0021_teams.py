"""Microsoft Teams notifications (issue 19): teams_webhooks, and reminder_outbox rows for a
channel (channel, webhook_id; recipient_id NULL for those)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 19:00:00

"""
from alembic import op
import sqlalchemy as sa

from web import rls


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('teams_webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('url_encrypted', sa.Text(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_teams_webhooks_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_teams_webhooks_unit_id_org_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams_webhooks')),
    sa.UniqueConstraint('tenant_id', 'unit_id', name=op.f('uq_teams_webhooks_tenant_id_unit_id')),
    )
    with op.batch_alter_table('teams_webhooks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teams_webhooks_tenant_id'), ['tenant_id'], unique=False)
    with op.batch_alter_table('reminder_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.Enum('email', 'teams', name='channel', native_enum=False, create_constraint=True), server_default='email', nullable=False))
        batch_op.add_column(sa.Column('webhook_id', sa.Integer(), nullable=True))
        batch_op.alter_column('recipient_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_reminder_outbox_webhook_id'), ['webhook_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reminder_outbox_webhook_id_teams_webhooks'), 'teams_webhooks', ['webhook_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint(batch_op.f('uq_reminder_outbox_webhook_id_kind_target_id_due_key'), ['webhook_id', 'kind', 'target_id', 'due_key'])
        batch_op.create_check_constraint('addressed', "(channel = 'email' AND recipient_id IS NOT NULL) OR (channel = 'teams' AND webhook_id IS NOT NULL)")
    if rls.is_postgresql():
        rls.enable('teams_webhooks')


def downgrade():
    op.execute("DELETE FROM reminder_outbox WHERE channel = 'teams'")
    with op.batch_alter_table('reminder_outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_reminder_outbox_addressed'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_reminder_outbox_webhook_id_kind_target_id_due_key'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_reminder_outbox_webhook_id_teams_webhooks'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reminder_outbox_webhook_id'))
        batch_op.alter_column('recipient_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(op.f('ck_reminder_outbox_channel'), type_='check')
        batch_op.drop_column('webhook_id')
        batch_op.drop_column('channel')
    op.drop_table('teams_webhooks')
