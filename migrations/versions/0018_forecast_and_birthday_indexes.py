"""The forecast's warnings counted from the cadence indexes alone; My day's birthdays by owner

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 00:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

BEFORE = {
    'ix_deal_owner_cadence': ['owner_id', 'archived', 'stage_id', 'last_touch_at',
                              'next_task_at'],
    'ix_deal_cadence': ['archived', 'stage_id', 'last_touch_at', 'next_task_at'],
}
ADDED = ['expected_close_date', 'close_date_moves']


def _rebuild(columns_of):
    for name, columns in BEFORE.items():
        op.drop_index(name, table_name='deal')
        op.create_index(name, 'deal', columns_of(columns))
    # Without statistics of its own a new index looks selective to SQLite's planner.
    op.execute('ANALYZE deal')


def upgrade():
    op.drop_index('ix_contact_birthday_key', table_name='contact')
    op.create_index('ix_contact_owner_birthday', 'contact',
                    ['owner_id', 'archived', 'birthday_key', 'id'])
    op.execute('ANALYZE contact')
    _rebuild(lambda columns: columns + ADDED)


def downgrade():
    op.drop_index('ix_contact_owner_birthday', table_name='contact')
    op.create_index('ix_contact_birthday_key', 'contact', ['birthday_key'])
    op.execute('ANALYZE contact')
    _rebuild(lambda columns: columns)
