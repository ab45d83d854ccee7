"""provisioning: archived units, provisioning runs, SCIM tokens and groups, the unit-tree guard

- ``org_units.archived_at``: a complete import archives the empty units it no longer lists.
- ``users.external_id``: the identity provider's id for a person (SCIM ``externalId``);
  ``users.ambiguous_units``: unit claims that matched several units at the last login;
  ``users.scim_data``: SCIM attributes kept only to be returned as written.
- ``provisioning_runs``: the last import or sync per source, for the admin.
- ``scim_tokens``, ``scim_groups``, ``scim_group_members``: SCIM 2.0 provisioning.
- On PostgreSQL a trigger refuses a parent that would put a unit under itself (whoever writes
  it); ``web.orgs.services.set_parent`` is the same check in the app, on both backends.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:30:00

"""
from alembic import op
import sqlalchemy as sa

from web import rls


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

NEW_TABLES = ('provisioning_runs', 'scim_tokens', 'scim_groups', 'scim_group_members')

# UNION (not UNION ALL): the walk ends at a unit it has seen, so it ends on a tree that is
# already damaged too. Runs as the writer, under its tenant's row-level security.
TREE_GUARD = """
CREATE OR REPLACE FUNCTION org_units_refuse_cycle() RETURNS trigger AS $$
BEGIN
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    IF NEW.parent_id = NEW.id OR EXISTS (
        WITH RECURSIVE up (id, parent_id) AS (
            SELECT id, parent_id FROM org_units WHERE id = NEW.parent_id
            UNION
            SELECT org_units.id, org_units.parent_id FROM org_units
            JOIN up ON org_units.id = up.parent_id
        )
        SELECT 1 FROM up WHERE up.id = NEW.id
    ) THEN
        RAISE EXCEPTION 'org unit % cannot be placed under its own descendant %',
            NEW.id, NEW.parent_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def upgrade():
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('ambiguous_units', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('scim_data', sa.JSON(), nullable=True))

    op.create_table('provisioning_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('csv', 'scim', name='provisioningsource', native_enum=False, create_constraint=True, length=4), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_provisioning_runs_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provisioning_runs'))
    )
    with op.batch_alter_table('provisioning_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provisioning_runs_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_provisioning_runs_tenant_id_source_id', ['tenant_id', 'source', 'id'], unique=False)

    op.create_table('scim_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_scim_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_scim_tokens_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_scim_tokens_token_hash'))
    )
    with op.batch_alter_table('scim_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_tokens_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('scim_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('target', sa.Enum('none', 'unit', 'leader', 'role', name='grouptarget', native_enum=False, create_constraint=True, length=6), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.Enum('hr', 'hovedudvalg', 'admin', name='tenantrolename', native_enum=False, create_constraint=True, length=11), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_scim_groups_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_scim_groups_unit_id_org_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_groups')),
    sa.UniqueConstraint('tenant_id', 'display_name', name=op.f('uq_scim_groups_tenant_id_display_name'))
    )
    with op.batch_alter_table('scim_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_groups_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('scim_group_members',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['scim_groups.id'], name=op.f('fk_scim_group_members_group_id_scim_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_scim_group_members_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_scim_group_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_scim_group_members'))
    )
    with op.batch_alter_table('scim_group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_group_members_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scim_group_members_user_id'), ['user_id'], unique=False)

    if rls.is_postgresql():
        for table in NEW_TABLES:
            rls.enable(table)
        op.execute(TREE_GUARD)
        op.execute("CREATE TRIGGER org_units_no_cycle BEFORE INSERT OR UPDATE OF parent_id "
                   "ON org_units FOR EACH ROW EXECUTE FUNCTION org_units_refuse_cycle()")


def downgrade():
    if rls.is_postgresql():
        op.execute("DROP TRIGGER IF EXISTS org_units_no_cycle ON org_units")
        op.execute("DROP FUNCTION IF EXISTS org_units_refuse_cycle()")
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('scim_data')
        batch_op.drop_column('ambiguous_units')
        batch_op.drop_column('external_id')
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
