"""Off cadence counts every manager's deals per owner from the cadence index alone

The count per owner of the deals off cadence read each stage's deals along ix_deal_cadence
and visited the table for each deal's owner (PostgreSQL: a bitmap heap scan of 20,000 rows
a stage). The index now ends with the owner.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 12:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

COLUMNS = ['archived', 'stage_id', 'last_touch_at', 'next_task_at', 'expected_close_date',
           'close_date_moves']


def _rebuild(columns):
    op.drop_index('ix_deal_cadence', table_name='deal')
    op.create_index('ix_deal_cadence', 'deal', columns)
    # Without statistics of its own a new index looks selective to SQLite's planner.
    op.execute('ANALYZE deal')


def upgrade():
    _rebuild(COLUMNS + ['owner_id'])


def downgrade():
    _rebuild(COLUMNS)
