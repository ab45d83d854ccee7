"""collections and reports: collection_entries (+ their expectations), reports, report_runs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('collection_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('example_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('good', 'lesson', name='examplekind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('kkc', sa.Enum('course', 'coordination', 'commitment', name='kkc', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('olfa', sa.Enum('organisation', 'leadership', 'community', 'employee', name='olfa', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lesson', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', name='entrystatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('findings_count', sa.Integer(), nullable=False),
    sa.Column('is_edited', sa.Boolean(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('source_digest', sa.String(length=64), nullable=False),
    sa.Column('source_updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('compiled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['org_units.id'], name=op.f('fk_collection_entries_area_id_org_units'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['example_id'], ['examples.id'], name=op.f('fk_collection_entries_example_id_examples'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_collection_entries_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_collection_entries_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_entries')),
    sa.UniqueConstraint('example_id', name=op.f('uq_collection_entries_example_id'))
    )
    with op.batch_alter_table('collection_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_entries_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_collection_entries_tenant_id_status', ['tenant_id', 'status'], unique=False)

    op.create_table('collection_entry_expectations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('expectation', sa.Enum('responsibility', 'context', 'flexible_authority', 'agency_for_others', name='expectation', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['collection_entries.id'], name=op.f('fk_collection_entry_expectations_entry_id_collection_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_collection_entry_expectations_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_entry_expectations')),
    sa.UniqueConstraint('entry_id', 'expectation', name=op.f('uq_collection_entry_expectations_entry_id_expectation'))
    )
    with op.batch_alter_table('collection_entry_expectations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_entry_expectations_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collection_entry_expectations_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('meeting_on', sa.Date(), nullable=True),
    sa.Column('trigger', sa.Enum('scheduled', 'on_demand', name='reporttrigger', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='reportstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('k_threshold', sa.Integer(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('published_groups', sa.JSON(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_reports_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_reports_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('tenant_id', 'meeting_on', name=op.f('uq_reports_tenant_id_meeting_on'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('report_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('running', 'succeeded', 'failed', name='runstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_runs_report_id_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_report_runs_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_runs'))
    )
    with op.batch_alter_table('report_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_runs_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_runs_tenant_id'), ['tenant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('report_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_runs_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_report_runs_report_id'))

    op.drop_table('report_runs')

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_tenant_id'))

    op.drop_table('reports')

    with op.batch_alter_table('collection_entry_expectations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_entry_expectations_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_collection_entry_expectations_entry_id'))

    op.drop_table('collection_entry_expectations')

    with op.batch_alter_table('collection_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_collection_entries_tenant_id_status')
        batch_op.drop_index(batch_op.f('ix_collection_entries_tenant_id'))

    op.drop_table('collection_entries')
