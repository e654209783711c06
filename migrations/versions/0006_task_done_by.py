"""Who completed a task: tasks done per manager count their work after a hand-over

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 07:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# Expression indexes of the task table (0004): a batch copy on SQLite cannot reflect them.
FOLDED = {
    'ix_task_owner_archived_subject_folded': '(owner_id, archived, lower(subject))',
    'ix_task_archived_subject_folded': '(archived, lower(subject))',
}


def _rebuild_folded_indexes():
    if op.get_bind().dialect.name == 'sqlite':
        for name, columns in FOLDED.items():
            op.execute(f'CREATE INDEX IF NOT EXISTS {name} ON task {columns}')


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('done_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_task_done_by_id_ab_user', 'ab_user', ['done_by_id'],
                                    ['id'], ondelete='RESTRICT')
    _rebuild_folded_indexes()
    # Until now a done task was counted for its owner; from here on who did it is kept.
    op.execute("UPDATE task SET done_by_id = owner_id WHERE state = 'done'")
    op.drop_index('ix_task_done_report', table_name='task')
    op.create_index('ix_task_done_report', 'task',
                    ['state', 'done_at', 'done_by_id', 'archived'], unique=False)


def downgrade():
    op.drop_index('ix_task_done_report', table_name='task')
    op.create_index('ix_task_done_report', 'task',
                    ['state', 'done_at', 'owner_id', 'archived'], unique=False)
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_constraint('fk_task_done_by_id_ab_user', type_='foreignkey')
        batch_op.drop_column('done_by_id')
    _rebuild_folded_indexes()
