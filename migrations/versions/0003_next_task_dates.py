"""Stored next task dates on companies, contacts and deals

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 01:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES = {'company': 'company_id', 'contact': 'contact_id', 'deal': 'deal_id'}
# The queue's partial indexes: rows without a next task, by owner and name and by name.
LIVE = " AND status IN ('potential', 'active')"
QUEUE_INDEXES = {
    'company': (['archived', 'next_task_at', 'owner_id', 'id'], LIVE),
    'contact': (['archived', 'next_task_at', 'owner_id', 'id'], ' AND company_id IS NULL' + LIVE),
    'deal': (['archived', 'next_task_at', 'stage_id', 'owner_id', 'id'], ''),
}


def _without_next_task(extra):
    return {
        'sqlite_where': sa.text('next_task_at IS NULL AND archived = 0' + extra),
        'postgresql_where': sa.text('next_task_at IS NULL AND archived = false' + extra),
    }


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('next_task_at', sa.DateTime(), nullable=True))
    # One set-based UPDATE per table: the earliest planned, not archived task.
    for table, link in TABLES.items():
        op.execute(
            f"UPDATE {table} SET next_task_at = (SELECT min(task.due_at) FROM task "
            f"WHERE task.{link} = {table}.id AND task.state = 'planned' "
            f"AND task.archived = false)"
        )
    for table, (columns, extra) in QUEUE_INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f'ix_{table}_queue', columns, unique=False,
                                  **_without_next_task(extra))
            batch_op.create_index(f'ix_{table}_owner_archived_next_task',
                                  ['owner_id', 'archived', 'next_task_at', 'id'], unique=False)
            batch_op.create_index(f'ix_{table}_archived_next_task',
                                  ['archived', 'next_task_at', 'id'], unique=False)


def downgrade():
    for table, (_columns, extra) in QUEUE_INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_archived_next_task')
            batch_op.drop_index(f'ix_{table}_owner_archived_next_task')
            batch_op.drop_index(f'ix_{table}_queue', **_without_next_task(extra))
            batch_op.drop_column('next_task_at')
