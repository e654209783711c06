"""The speed-to-lead report reads its leads from two covering indexes, never the table

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 13:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# Every column the report reads of a lead, after the ones it filters on: the period for the
# head, the owner and the period for a manager (or the head choosing one).
COLUMNS = ['source', 'state', 'answered_at']


def upgrade():
    op.drop_index('ix_inbox_item_received', table_name='inbox_item')
    op.create_index('ix_inbox_item_received', 'inbox_item',
                    ['received_at', 'owner_id', *COLUMNS])
    op.create_index('ix_inbox_item_owner_received', 'inbox_item',
                    ['owner_id', 'received_at', *COLUMNS])
    # New indexes get their statistics at once: SQLite's planner guesses badly without.
    op.execute('ANALYZE inbox_item')


def downgrade():
    op.drop_index('ix_inbox_item_owner_received', table_name='inbox_item')
    op.drop_index('ix_inbox_item_received', table_name='inbox_item')
    op.create_index('ix_inbox_item_received', 'inbox_item',
                    ['received_at', 'owner_id', 'answered_at'])
