"""live meetings: live_meetings, live_cards, live_attendees, live_actions (issue 22)

No column of live_cards or live_attendees links a vote or an anonymous thought to a person:
cards carry only a named author's name, a random sort key and their vote total; attendees only
how many votes they used.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 13:40:00

"""
from alembic import op
import sqlalchemy as sa

from web import rls


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

TABLES = ('live_meetings', 'live_cards', 'live_attendees', 'live_actions')


def upgrade():
    op.create_table('live_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('facilitator_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('current_prompt_id', sa.Integer(), nullable=True),
    sa.Column('timer_ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('votes_per_member', sa.Integer(), nullable=False),
    sa.Column('voting', sa.Enum('not_started', 'open', 'closed', name='voting', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('participant_count', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_live_meetings_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['facilitator_id'], ['users.id'], name=op.f('fk_live_meetings_facilitator_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['current_prompt_id'], ['cycle_prompts.id'], name=op.f('fk_live_meetings_current_prompt_id_cycle_prompts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_live_meetings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_meetings')),
    sa.UniqueConstraint('cycle_id', name=op.f('uq_live_meetings_cycle_id')),
    )
    op.create_table('live_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('prompt_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_name', sa.String(length=200), nullable=True),
    sa.Column('sort_key', sa.String(length=32), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['live_meetings.id'], name=op.f('fk_live_cards_meeting_id_live_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['prompt_id'], ['cycle_prompts.id'], name=op.f('fk_live_cards_prompt_id_cycle_prompts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['live_cards.id'], name=op.f('fk_live_cards_merged_into_id_live_cards'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_live_cards_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_cards')),
    )
    op.create_table('live_attendees',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('votes_used', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['live_meetings.id'], name=op.f('fk_live_attendees_meeting_id_live_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_attendees_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_live_attendees_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', 'user_id', name=op.f('pk_live_attendees')),
    )
    op.create_table('live_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('expectation', sa.Enum('responsibility', 'context', 'flexible_authority', 'agency_for_others', name='expectation', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('kkc', sa.Enum('course', 'coordination', 'commitment', name='kkc', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['live_meetings.id'], name=op.f('fk_live_actions_meeting_id_live_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_live_actions_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_live_actions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_actions')),
    )
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_tenant_id'), ['tenant_id'], unique=False)
    with op.batch_alter_table('live_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_cards_meeting_id'), ['meeting_id'], unique=False)
    with op.batch_alter_table('live_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_actions_meeting_id'), ['meeting_id'], unique=False)
    if rls.is_postgresql():
        for table in TABLES:
            rls.enable(table)


def downgrade():
    for table in reversed(TABLES):
        op.drop_table(table)
