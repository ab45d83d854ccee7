"""The OpenID provider's last good discovery and JWKS per tenant (sso_settings.oidc_copy,
oidc_copy_fetched_at), and two reminder kinds for the admins' SSO alert e-mails
(sso_refresh_kept, sso_login_failures) in the outbox's kind constraints.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

OLD_KINDS = ('preparation_opened', 'preparation_closing', 'meeting_invitation',
             'meeting_updated', 'follow_up_coming', 'action_due_soon', 'action_overdue',
             'weekly_digest')
NEW_KINDS = (*OLD_KINDS, 'sso_refresh_kept', 'sso_login_failures')
KIND_TABLES = ('reminder_outbox', 'reminder_day_slots', 'reminder_unsubscribes')


def _kinds(old, new):
    for table in KIND_TABLES:
        if op.get_bind().dialect.name == 'postgresql':
            op.drop_constraint(op.f(f'ck_{table}_reminderkind'), table, type_='check')
            op.create_check_constraint(op.f(f'ck_{table}_reminderkind'), table,
                                       sa.column('kind').in_(new))
            continue
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_reminderkind'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_reminderkind'),
                                             sa.column('kind').in_(new))


def upgrade():
    with op.batch_alter_table('sso_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_copy', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('oidc_copy_fetched_at', sa.DateTime(timezone=True),
                                      nullable=True))
    _kinds(OLD_KINDS, NEW_KINDS)


def downgrade():
    op.execute(sa.text("DELETE FROM reminder_outbox WHERE kind IN "
                       "('sso_refresh_kept', 'sso_login_failures')"))
    op.execute(sa.text("DELETE FROM reminder_day_slots WHERE kind IN "
                       "('sso_refresh_kept', 'sso_login_failures')"))
    _kinds(NEW_KINDS, OLD_KINDS)
    with op.batch_alter_table('sso_settings', schema=None) as batch_op:
        batch_op.drop_column('oidc_copy_fetched_at')
        batch_op.drop_column('oidc_copy')
