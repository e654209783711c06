"""SQLite's "starts with" indexes fold Cyrillic: built on crm_lower(), not SQLite's lower()

SQLite's own lower() changes ASCII letters only, so a list searched for "иван" never
found "Иванов" there. The app registers crm_lower() on every SQLite connection (it
lower-cases as PostgreSQL's lower() does) and the filters compare it; these indexes are
rebuilt on it. PostgreSQL keeps its lower() indexes. A later migration that copies one of
these tables on SQLite (batch mode) must build them again in this form.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 01:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

SEARCHES = {'company': 'name', 'contact': 'last_name', 'deal': 'title', 'task': 'subject'}


def _rebuild(lower):
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table, column in SEARCHES.items():
        for owner in ('owner_', ''):
            name = f'ix_{table}_{owner}archived_{column}_folded'
            leading = 'owner_id, archived' if owner else 'archived'
            op.execute(f'DROP INDEX IF EXISTS {name}')
            op.execute(f'CREATE INDEX {name} ON {table} ({leading}, {lower}({column}))')
    op.execute('ANALYZE')


def upgrade():
    _rebuild('crm_lower')


def downgrade():
    _rebuild('lower')
