"""SSO versions with a draft (issue 24): sso_versions, sso_alerts,
sso_pending_logins.test_version_id

A saved SSO page makes a pending version that serves no sign-in until a test sign-in with it
passed; ``sso_settings`` stays the copy in force. Existing tenants get their first version (the
settings in force) the first time their versions are read (``web.auth.versions``).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 15:30:00

"""
from alembic import op
import sqlalchemy as sa

from web import rls


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

TABLES = ('sso_versions', 'sso_alerts')


def upgrade():
    op.create_table('sso_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'in_force', 'superseded', 'discarded', name='versionstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('protocol', sa.Enum('oidc', 'saml', name='protocol', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('changed', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('tested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('test_passed', sa.Boolean(), nullable=False),
    sa.Column('test_result', sa.JSON(), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('applied_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sso_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['applied_by_id'], ['users.id'], name=op.f('fk_sso_versions_applied_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sso_versions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_versions')),
    sa.UniqueConstraint('tenant_id', 'number', name=op.f('uq_sso_versions_tenant_id_number')),
    )
    op.create_table('sso_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=100), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sso_alerts_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_alerts')),
    sa.UniqueConstraint('tenant_id', 'kind', name=op.f('uq_sso_alerts_tenant_id_kind')),
    )
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_tenant_id'), ['tenant_id'], unique=False)
    with op.batch_alter_table('sso_pending_logins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('test_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_sso_pending_logins_test_version_id_sso_versions'), 'sso_versions', ['test_version_id'], ['id'], ondelete='CASCADE')
    if rls.is_postgresql():
        for table in TABLES:
            rls.enable(table)


def downgrade():
    with op.batch_alter_table('sso_pending_logins', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sso_pending_logins_test_version_id_sso_versions'), type_='foreignkey')
        batch_op.drop_column('test_version_id')
    for table in reversed(TABLES):
        op.drop_table(table)
