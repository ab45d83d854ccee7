"""actions indexed by (tenant, cycle, status, due date): the leader dashboard's counts and
oldest overdue actions read only the open actions' index entries, not every action of a cycle

Replaces ix_actions_tenant_id_cycle_id, of which it is a prefix (every lookup by cycle keeps
its index).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 12:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index('ix_actions_tenant_id_cycle_id_status_due_on',
                              ['tenant_id', 'cycle_id', 'status', 'due_on'], unique=False)
        batch_op.drop_index('ix_actions_tenant_id_cycle_id')


def downgrade():
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index('ix_actions_tenant_id_cycle_id', ['tenant_id', 'cycle_id'],
                              unique=False)
        batch_op.drop_index('ix_actions_tenant_id_cycle_id_status_due_on')
