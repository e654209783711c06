"""The queue reads its open deals without a next task from the stage-led index alone

The queue picks the ids of the open deals without a next task. PostgreSQL read them from
ix_deal_queue, led by archived and next_task_at, where the stage is a filter: every won
and lost deal (all without a next task) was read to find none. The stage-led index now
ends with the id, so that it answers the queue by itself.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

WHERE = {
    'sqlite_where': sa.text('next_task_at IS NULL AND archived = 0'),
    'postgresql_where': sa.text('next_task_at IS NULL AND archived = false'),
}
COLUMNS = ['stage_id', 'owner_id', 'archived', 'next_task_at']


def _rebuild(columns):
    op.drop_index('ix_deal_queue_stage', table_name='deal', **WHERE)
    op.create_index('ix_deal_queue_stage', 'deal', columns, **WHERE)
    # Without statistics of its own a new index looks selective to SQLite's planner.
    op.execute('ANALYZE deal')


def upgrade():
    _rebuild(COLUMNS + ['id'])


def downgrade():
    _rebuild(COLUMNS)
