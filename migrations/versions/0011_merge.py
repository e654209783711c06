"""Merging duplicates: a merged (archived) company or contact points at the record kept

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLES = ('company', 'contact')
# The duplicates report's GROUP BY per key reads (key, archived) from the index alone.
REPORT_KEYS = {'company': ('inn', 'phone_e164', 'email_key'),
               'contact': ('phone_e164', 'mobile_phone_e164', 'email_key', 'second_email_key')}


def _filled(column):
    condition = sa.text(f'{column} IS NOT NULL')
    return {'sqlite_where': condition, 'postgresql_where': condition}


# What a batch copy of a table loses on SQLite (it cannot reflect them): the folded name
# indexes of the lists (0004) and the triggers keeping the name search in step (0007).
FOLDED = {'company': 'name', 'contact': 'last_name'}
_FTS_TRIGGERS = (
    "CREATE TRIGGER {t}_fts_insert AFTER INSERT ON {t} BEGIN "
    "INSERT INTO {t}_fts (rowid, search_name) VALUES (new.id, new.search_name); END",
    "CREATE TRIGGER {t}_fts_delete AFTER DELETE ON {t} BEGIN "
    "INSERT INTO {t}_fts ({t}_fts, rowid, search_name) "
    "VALUES ('delete', old.id, old.search_name); END",
    "CREATE TRIGGER {t}_fts_update AFTER UPDATE OF search_name ON {t} BEGIN "
    "INSERT INTO {t}_fts ({t}_fts, rowid, search_name) "
    "VALUES ('delete', old.id, old.search_name); "
    "INSERT INTO {t}_fts (rowid, search_name) VALUES (new.id, new.search_name); END",
)


def _drop_column_sqlite(table):
    # SQLite refuses DROP COLUMN on a column with a foreign key: the table is copied.
    with op.batch_alter_table(table, recreate='always') as batch_op:
        batch_op.drop_column('merged_into_id')
    _rebuild_sqlite(table)


def _rebuild_sqlite(table):
    """Build again what the batch copy of the table left out."""
    column = FOLDED[table]
    op.execute(f'CREATE INDEX IF NOT EXISTS ix_{table}_owner_archived_{column}_folded '
               f'ON {table} (owner_id, archived, lower({column}))')
    op.execute(f'CREATE INDEX IF NOT EXISTS ix_{table}_archived_{column}_folded '
               f'ON {table} (archived, lower({column}))')
    for event in ('insert', 'delete', 'update'):
        op.execute(f'DROP TRIGGER IF EXISTS {table}_fts_{event}')
    for trigger in _FTS_TRIGGERS:
        op.execute(trigger.format(t=table))


def _foreign_keys(on):
    """Switch SQLite's foreign key checks (the copy drops a table others point at).

    The switch is ignored inside a transaction, and the batch copy's INSERT opens one: it
    is committed first (SQLite's DDL here is not transactional anyway), so that the checks
    are really back on for the pooled connection afterwards.
    """
    raw = op.get_bind().connection.dbapi_connection
    if raw.in_transaction:
        raw.commit()
    raw.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    assert raw.execute('PRAGMA foreign_keys').fetchone()[0] == int(on)


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        _foreign_keys(False)
    for table in TABLES:
        if sqlite:
            # A batch copy: a foreign key added in place would be a column constraint,
            # whose ON DELETE SQLite's reflection does not read back.
            with op.batch_alter_table(table, recreate='always') as batch_op:
                batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
                batch_op.create_foreign_key(f'fk_{table}_merged_into_id_{table}', table,
                                            ['merged_into_id'], ['id'], ondelete='RESTRICT')
            _rebuild_sqlite(table)
        else:
            op.add_column(table, sa.Column('merged_into_id', sa.Integer(), nullable=True))
            op.create_foreign_key(f'fk_{table}_merged_into_id_{table}', table, table,
                                  ['merged_into_id'], ['id'], ondelete='RESTRICT')
        op.create_index(f'ix_{table}_merged_into', table, ['merged_into_id'], unique=False)
        for column in REPORT_KEYS[table]:
            op.create_index(f'ix_{table}_{column}_live', table, [column, 'archived'],
                            unique=False, **_filled(column))
    if sqlite:
        _foreign_keys(True)


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        _foreign_keys(False)
    for table in reversed(TABLES):
        for column in REPORT_KEYS[table]:
            op.drop_index(f'ix_{table}_{column}_live', table_name=table)
        op.drop_index(f'ix_{table}_merged_into', table_name=table)
        if sqlite:
            _drop_column_sqlite(table)
        else:
            op.drop_constraint(f'fk_{table}_merged_into_id_{table}', table, type_='foreignkey')
            op.drop_column(table, 'merged_into_id')
    if sqlite:
        _foreign_keys(True)
