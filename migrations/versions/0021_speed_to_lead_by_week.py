"""Speed to lead reads each lead's week and seconds to answer, kept with the lead

The report groups tens of thousands of leads by week, owner and source. Computing each
lead's week and answer time from its two timestamps, then sorting the leads into groups,
was most of its time; both are now kept with the lead (set when it is written) and the
report's indexes hold the leads in the order it groups them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

OLD_INDEXES = {
    'ix_inbox_item_received': ['received_at', 'owner_id', 'source', 'state', 'answered_at'],
    'ix_inbox_item_owner_received': ['owner_id', 'received_at', 'source', 'state',
                                     'answered_at'],
}
NEW_INDEXES = {
    'ix_inbox_item_week': ['received_week', 'owner_id', 'source', 'answer_seconds', 'state',
                           'received_at'],
    'ix_inbox_item_owner_week': ['owner_id', 'received_week', 'source', 'answer_seconds',
                                 'state', 'received_at'],
    # The inbox's items of every state, newest first, which the old indexes served.
    'ix_inbox_item_received': ['received_at', 'id'],
    'ix_inbox_item_owner_received': ['owner_id', 'received_at', 'id'],
}

# Weeks from Monday 3 January 2000 (app.models.inbox_item.week_number); whole seconds,
# rounded down, from arrival to the first answer (answer_seconds). SQLite's julianday()
# keeps only milliseconds, so the seconds are counted from the times' whole seconds and
# their microseconds apart (stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]').
SQLITE_FILL = """
UPDATE inbox_item SET
    received_week = CASE WHEN days >= 0 THEN days / 7 ELSE (days - 6) / 7 END,
    answer_seconds = CASE WHEN answered_at IS NULL THEN NULL ELSE
        strftime('%s', substr(answered_at, 1, 19)) - strftime('%s', substr(received_at, 1, 19))
        - (CAST(substr(answered_at || '.000000', 21, 6) AS INTEGER)
           < CAST(substr(received_at || '.000000', 21, 6) AS INTEGER)) END
FROM (SELECT id AS item_id, CAST(julianday(date(received_at)) - julianday('2000-01-03')
                                 AS INTEGER) AS days
      FROM inbox_item) AS item_days
WHERE inbox_item.id = item_days.item_id
"""
POSTGRESQL_FILL = """
UPDATE inbox_item SET
    received_week = floor((received_at::date - DATE '2000-01-03') / 7.0)::integer,
    answer_seconds = floor(date_part('epoch', answered_at - received_at))::integer
"""


def upgrade():
    op.add_column('inbox_item', sa.Column('received_week', sa.Integer(), nullable=True))
    op.add_column('inbox_item', sa.Column('answer_seconds', sa.Integer(), nullable=True))
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.execute(SQLITE_FILL if sqlite else POSTGRESQL_FILL)
    for name in OLD_INDEXES:
        op.drop_index(name, table_name='inbox_item')
    for name, columns in NEW_INDEXES.items():
        op.create_index(name, 'inbox_item', columns)
    # Without statistics of its own a new index looks selective to SQLite's planner.
    op.execute('ANALYZE inbox_item')


def downgrade():
    for name in NEW_INDEXES:
        op.drop_index(name, table_name='inbox_item')
    for name, columns in OLD_INDEXES.items():
        op.create_index(name, 'inbox_item', columns)
    # Plain DROP COLUMNs (SQLite 3.35 and later): a batch copy would drop the table,
    # which the tasks of its leads refer to.
    op.drop_column('inbox_item', 'answer_seconds')
    op.drop_column('inbox_item', 'received_week')
    op.execute('ANALYZE inbox_item')
