"""cycle members and participation counters: cycle_members, cycles.member_count/contributor_count

Existing cycles get their member sets from today's data (the active members of the units they
cover) and both counters from those rows, so every figure shown stays what it was (members who
contributed / members, as counted before).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 08:00:00

"""
from alembic import op
import sqlalchemy as sa

from web import rls


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Portable SQL (PostgreSQL and SQLite): no LATERAL, no planner hints.
BACKFILL_MEMBERS = """
INSERT INTO cycle_members (tenant_id, cycle_id, user_id)
WITH RECURSIVE covered (cycle_id, unit_id, deep) AS (
    SELECT id, unit_id, include_subunits FROM cycles
    UNION ALL
    SELECT covered.cycle_id, org_units.id, covered.deep
    FROM covered JOIN org_units ON org_units.parent_id = covered.unit_id
    WHERE covered.deep
)
SELECT DISTINCT memberships.tenant_id, covered.cycle_id, memberships.user_id
FROM covered
JOIN memberships ON memberships.unit_id = covered.unit_id
JOIN users ON users.id = memberships.user_id AND users.is_active
"""
BACKFILL_COUNTS = """
UPDATE cycles SET
    member_count = (SELECT count(*) FROM cycle_members WHERE cycle_members.cycle_id = cycles.id),
    contributor_count = (SELECT count(*) FROM participations JOIN cycle_members
                         ON cycle_members.cycle_id = participations.cycle_id
                         AND cycle_members.user_id = participations.user_id
                         WHERE participations.cycle_id = cycles.id)
"""


def upgrade():
    op.create_table('cycle_members',
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_cycle_members_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_cycle_members_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cycle_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cycle_id', 'user_id', name=op.f('pk_cycle_members'))
    )
    with op.batch_alter_table('cycle_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cycle_members_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cycle_members_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('contributor_count', sa.Integer(), server_default='0', nullable=False))

    if not rls.is_postgresql():
        op.execute(BACKFILL_MEMBERS)
        op.execute(BACKFILL_COUNTS)
        return
    rls.enable('cycle_members')
    # The owner is bound by the tenant policies too (FORCEd): fill tenant by tenant.
    bind = op.get_bind()
    for (tenant_id,) in bind.execute(sa.text("SELECT id FROM tenants ORDER BY id")).all():
        bind.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"),
                     {"t": str(tenant_id)})
        op.execute(BACKFILL_MEMBERS)
        op.execute(BACKFILL_COUNTS)
    bind.execute(sa.text("SELECT set_config('app.tenant_id', '', true)"))


def downgrade():
    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.drop_column('contributor_count')
        batch_op.drop_column('member_count')
    with op.batch_alter_table('cycle_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cycle_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_cycle_members_tenant_id'))
    op.drop_table('cycle_members')
