"""The search box reads the names starting with the query in name order, own rows or all

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 14:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLES = ('company', 'contact', 'deal')
OPS = {'search_name': 'text_pattern_ops'}


def upgrade():
    for table in TABLES:
        op.create_index(f'ix_{table}_owner_archived_search_name', table,
                        ['owner_id', 'archived', 'search_name', 'id'], postgresql_ops=OPS)
        op.create_index(f'ix_{table}_archived_search_name', table,
                        ['archived', 'search_name', 'id'], postgresql_ops=OPS)
        # Without statistics of its own a new index looks selective to SQLite's planner,
        # which would then read every live row through it instead of the key indexes.
        op.execute(f'ANALYZE {table}')


def downgrade():
    for table in TABLES:
        op.drop_index(f'ix_{table}_archived_search_name', table_name=table)
        op.drop_index(f'ix_{table}_owner_archived_search_name', table_name=table)
