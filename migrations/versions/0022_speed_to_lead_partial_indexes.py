"""Speed to lead reads the answered and the unanswered leads along two partial indexes

The report took the answer seconds of every lead and, in the same pass, counted the
waiting and declined ones with an expression per lead. The answered leads are now read
along a narrower index of their own (week, owner, source, seconds), and the unanswered,
a few thousand of tens of thousands, are counted along another.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 11:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

WIDE = {
    'ix_inbox_item_week': ['received_week', 'owner_id', 'source', 'answer_seconds', 'state',
                           'received_at'],
    'ix_inbox_item_owner_week': ['owner_id', 'received_week', 'source', 'answer_seconds',
                                 'state', 'received_at'],
}
ANSWERED = {
    'ix_inbox_item_week': ['received_week', 'owner_id', 'source', 'answer_seconds'],
    'ix_inbox_item_owner_week': ['owner_id', 'received_week', 'source', 'answer_seconds'],
}
UNANSWERED = ('ix_inbox_item_unanswered_week',
              ['received_week', 'owner_id', 'source', 'state', 'received_at', 'answer_seconds'])


def _partial(name, columns, where):
    op.create_index(name, 'inbox_item', columns, sqlite_where=sa.text(where),
                    postgresql_where=sa.text(where))


def upgrade():
    for name, columns in ANSWERED.items():
        op.drop_index(name, table_name='inbox_item')
        _partial(name, columns, 'answer_seconds IS NOT NULL')
    _partial(*UNANSWERED, 'answer_seconds IS NULL')
    # Without statistics of their own new indexes look selective to SQLite's planner.
    op.execute('ANALYZE inbox_item')


def downgrade():
    op.drop_index(UNANSWERED[0], table_name='inbox_item')
    for name, columns in WIDE.items():
        op.drop_index(name, table_name='inbox_item')
        op.create_index(name, 'inbox_item', columns)
    op.execute('ANALYZE inbox_item')
