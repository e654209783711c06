"""The open deals without a next task, read by stage: an index led by the stage

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

WHERE = {
    'sqlite_where': sa.text('next_task_at IS NULL AND archived = 0'),
    'postgresql_where': sa.text('next_task_at IS NULL AND archived = false'),
}


def upgrade():
    op.create_index('ix_deal_queue_stage', 'deal',
                    ['stage_id', 'owner_id', 'archived', 'next_task_at'], **WHERE)
    # Without statistics of its own a new index looks selective to SQLite's planner.
    op.execute('ANALYZE deal')


def downgrade():
    op.drop_index('ix_deal_queue_stage', table_name='deal', **WHERE)
