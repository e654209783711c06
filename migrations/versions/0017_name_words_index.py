"""Name words found through PostgreSQL's full-text index, not a trigram index

"A word of the name starts with" is a prefix query on the index of the folded name's
words, which reads only the words of that start; the trigram index read every name
holding the letters anywhere. The names' btree of SQLite goes too: the start indexes of
migration 0013 serve "the name starts with", the FTS5 tables the words.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 19:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

TABLES = ('company', 'contact', 'deal')


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table in TABLES:
        op.drop_index(f'ix_{table}_search_name', table_name=table)
        if postgresql:
            op.execute(f"CREATE INDEX ix_{table}_search_words ON {table} "
                       f"USING gin (to_tsvector('simple'::regconfig, search_name))")
    if postgresql:
        for table in TABLES:
            op.execute(f'ANALYZE {table}')


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table in TABLES:
        if postgresql:
            op.drop_index(f'ix_{table}_search_words', table_name=table)
            op.execute(f'CREATE INDEX ix_{table}_search_name ON {table} '
                       f'USING gin (search_name gin_trgm_ops)')
        else:
            op.create_index(f'ix_{table}_search_name', table, ['search_name'], unique=False)
