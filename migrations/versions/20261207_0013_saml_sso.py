"""SAML 2.0 single sign-on: sso_settings.protocol and saml_*, sso_pending_logins.claims,
sso_saml_keys, sso_saml_seen_assertions

Existing tenants keep OpenID Connect (protocol 'oidc').

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:30:00

"""
from alembic import op
import sqlalchemy as sa

from web import rls


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sso_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protocol', sa.String(length=4), server_default='oidc', nullable=False))
        batch_op.create_check_constraint(op.f('ck_sso_settings_protocol'), "protocol IN ('oidc', 'saml')")
        batch_op.add_column(sa.Column('saml_metadata_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('saml_metadata_xml', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('saml_metadata_fetched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('saml_required_loa', sa.String(length=20), server_default='Substantial', nullable=False))
        batch_op.add_column(sa.Column('saml_privileges_attribute', sa.String(length=200), nullable=True))
    with op.batch_alter_table('sso_pending_logins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claims', sa.JSON(), nullable=True))

    op.create_table('sso_saml_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('private_key_encrypted', sa.Text(), nullable=False),
    sa.Column('certificate_pem', sa.Text(), nullable=False),
    sa.Column('is_signing', sa.Boolean(), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sso_saml_keys_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_saml_keys'))
    )
    with op.batch_alter_table('sso_saml_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_saml_keys_tenant_id'), ['tenant_id'], unique=False)
    op.create_table('sso_saml_seen_assertions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assertion_id', sa.String(length=256), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sso_saml_seen_assertions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_saml_seen_assertions')),
    sa.UniqueConstraint('tenant_id', 'assertion_id', name=op.f('uq_sso_saml_seen_assertions_tenant_id_assertion_id'))
    )
    with op.batch_alter_table('sso_saml_seen_assertions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_saml_seen_assertions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sso_saml_seen_assertions_tenant_id'), ['tenant_id'], unique=False)
    if rls.is_postgresql():
        rls.enable('sso_saml_keys')
        rls.enable('sso_saml_seen_assertions')


def downgrade():
    op.drop_table('sso_saml_seen_assertions')
    op.drop_table('sso_saml_keys')
    with op.batch_alter_table('sso_pending_logins', schema=None) as batch_op:
        batch_op.drop_column('claims')
    with op.batch_alter_table('sso_settings', schema=None) as batch_op:
        batch_op.drop_column('saml_privileges_attribute')
        batch_op.drop_column('saml_required_loa')
        batch_op.drop_column('saml_metadata_fetched_at')
        batch_op.drop_column('saml_metadata_xml')
        batch_op.drop_column('saml_metadata_url')
        batch_op.drop_constraint(op.f('ck_sso_settings_protocol'), type_='check')
        batch_op.drop_column('protocol')
