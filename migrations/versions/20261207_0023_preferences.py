"""a person's own choices: users.chosen_locale (the language they chose on their settings page,
before the login profile's and the browser's) and users.answer_visibility (who may see an
answer, as they last chose it: the preparation form's unanswered questions start there)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('chosen_locale', sa.String(length=5), nullable=True))
        batch.add_column(sa.Column('answer_visibility', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('answer_visibility')
        batch.drop_column('chosen_locale')
