"""Indexes for the lists' sorts (a manager's own rows and everyone's) and planned tasks

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SORTS = {
    'company': ('status', 'industry', 'changed_at'),
    'contact': ('first_name', 'position', 'email', 'status'),
    'deal': ('title', 'amount', 'expected_close_date', 'changed_at'),
    'task': ('due_at', 'type', 'subject', 'state'),
}
PLANNED = sa.text("state = 'planned' AND archived = false")
# "Starts with" searches: lower(column) as a prefix range (text_pattern_ops on PostgreSQL).
SEARCHES = {'company': 'name', 'contact': 'last_name', 'deal': 'title', 'task': 'subject'}


# Reports and the board read these indexes alone (covering); (table, name, replaces an
# index of the same name?, columns, options).
REPLACED = (
    ('deal', 'ix_deal_owner_archived_stage', True,
     ['owner_id', 'archived', 'stage_id', 'currency', 'amount'], {}),
    ('deal', 'ix_deal_archived_stage', True, ['archived', 'stage_id', 'currency', 'amount'], {}),
    ('deal', 'ix_deal_owner_board', False, ['owner_id', 'archived', 'stage_id', 'id'], {}),
    ('deal', 'ix_deal_board', False, ['archived', 'stage_id', 'id'], {}),
    ('deal', 'ix_deal_closed', False,
     ['closed_at', 'stage_id', 'owner_id', 'archived', 'currency', 'amount'],
     {'postgresql_include': ['lost_reason']}),
    ('company', 'ix_company_created', False, ['created_at', 'owner_id', 'archived', 'source'],
     {}),
    ('contact', 'ix_contact_created', False,
     ['created_at', 'company_id', 'owner_id', 'archived', 'source'], {}),
    ('task', 'ix_task_done_report', False, ['state', 'done_at', 'owner_id', 'archived'], {}),
    ('task', 'ix_task_planned_due_owner', False, ['due_at', 'owner_id'],
     {'sqlite_where': PLANNED, 'postgresql_where': PLANNED}),
    # A record's earliest planned task, one step into the index (app/services/rules/next_task.py).
    ('task', 'ix_task_company_state', True, ['company_id', 'state', 'archived', 'due_at'], {}),
    ('task', 'ix_task_contact_state', True, ['contact_id', 'state', 'archived', 'due_at'], {}),
    ('task', 'ix_task_deal_state', True, ['deal_id', 'state', 'archived', 'due_at'], {}),
    # The lists' default sorts, with FAB's tie-breaker: a page's ids from the index alone.
    ('company', 'ix_company_owner_archived_name', True, ['owner_id', 'archived', 'name', 'id'],
     {}),
    ('company', 'ix_company_archived_name', True, ['archived', 'name', 'id'], {}),
    ('contact', 'ix_contact_owner_archived_last_name', True,
     ['owner_id', 'archived', 'last_name', 'id'], {}),
    ('contact', 'ix_contact_archived_last_name', True, ['archived', 'last_name', 'id'], {}),
)
# What the replaced indexes were (for downgrade).
OLD_COLUMNS = {
    'ix_deal_owner_archived_stage': ['owner_id', 'archived', 'stage_id'],
    'ix_deal_archived_stage': ['archived', 'stage_id'],
    'ix_task_company_state': ['company_id', 'state'],
    'ix_task_contact_state': ['contact_id', 'state'],
    'ix_task_deal_state': ['deal_id', 'state'],
    'ix_company_owner_archived_name': ['owner_id', 'archived', 'name'],
    'ix_company_archived_name': ['archived', 'name'],
    'ix_contact_owner_archived_last_name': ['owner_id', 'archived', 'last_name'],
    'ix_contact_archived_last_name': ['archived', 'last_name'],
}
# Indexes the covering ones above make redundant.
DROPPED = (('deal', 'ix_deal_closed_at', ['closed_at']),
           ('company', 'ix_company_created_at', ['created_at']))


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_planned_owner_due', ['owner_id', 'due_at'], unique=False,
                              sqlite_where=PLANNED, postgresql_where=PLANNED)
    for table, columns in SORTS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.create_index(f'ix_{table}_owner_archived_{column}',
                                      ['owner_id', 'archived', column, 'id'], unique=False)
                batch_op.create_index(f'ix_{table}_archived_{column}',
                                      ['archived', column, 'id'], unique=False)
    for table, name, old, columns, options in REPLACED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if old:
                batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False, **options)
    for table, name, _columns in DROPPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    for table, column in SEARCHES.items():
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f'CREATE INDEX ix_{table}_owner_archived_{column}_folded ON {table} '
                       f'(owner_id, archived, lower({column}) text_pattern_ops) '
                       f'INCLUDE ({column})')
            op.execute(f'CREATE INDEX ix_{table}_archived_{column}_folded ON {table} '
                       f'(archived, lower({column}) text_pattern_ops) INCLUDE ({column})')
        else:
            op.execute(f'CREATE INDEX ix_{table}_owner_archived_{column}_folded ON {table} '
                       f'(owner_id, archived, lower({column}))')
            op.execute(f'CREATE INDEX ix_{table}_archived_{column}_folded ON {table} '
                       f'(archived, lower({column}))')


def downgrade():
    for table, name, columns in DROPPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)
    for table, name, old, _columns, options in reversed(REPLACED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name, **{k: v for k, v in options.items() if 'where' in k})
            if old:
                batch_op.create_index(name, OLD_COLUMNS[name])
    for table, column in SEARCHES.items():
        op.execute(f'DROP INDEX ix_{table}_archived_{column}_folded')
        op.execute(f'DROP INDEX ix_{table}_owner_archived_{column}_folded')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_planned_owner_due', sqlite_where=PLANNED,
                            postgresql_where=PLANNED)
    for table, columns in SORTS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(columns):
                batch_op.drop_index(f'ix_{table}_archived_{column}')
                batch_op.drop_index(f'ix_{table}_owner_archived_{column}')
