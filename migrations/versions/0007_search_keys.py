"""Search keys: phones as E.164 and reversed digits, e-mails lower-cased, folded name words
with a text index (PostgreSQL pg_trgm, SQLite FTS5), filled for the existing rows

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 09:30:00.000000

"""
import re

from alembic import op
import phonenumbers
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The typed columns each table's keys come from (as app/services/rules/search_keys.py
# computes them on every save; repeated here so that this revision never changes).
PHONES = {'company': ('phone',), 'contact': ('phone', 'mobile_phone'), 'deal': ()}
EMAILS = {'company': ('email',), 'contact': ('email', 'second_email'), 'deal': ()}
NAMES = {'company': ('name', 'legal_name'), 'contact': ('last_name', 'first_name', 'middle_name'),
         'deal': ('title',)}
BATCH = 1000
NAME_KEY_MAX = 600
_WORD = re.compile(r'\w+')


def _e164(text):
    if not text or not text.strip():
        return None
    try:
        number = phonenumbers.parse(text.strip(), 'RU')
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _name_key(parts):
    folded = ' '.join(part or '' for part in parts).lower().replace('ё', 'е')
    words = [word.replace('_', '') for word in _WORD.findall(folded) if word.strip('_')]
    return ' '.join(words)[:NAME_KEY_MAX] or None


def _keys(table, row):
    keys = {}
    for phone in PHONES[table]:
        e164 = _e164(row[phone])
        keys[f'{phone}_e164'] = e164
        keys[f'{phone}_tail'] = re.sub(r'\D', '', e164)[::-1] if e164 else None
    for email in EMAILS[table]:
        keys[f'{email}_key'] = (row[email] or '').strip().lower() or None
    keys['search_name'] = _name_key([row[name] for name in NAMES[table]])
    return keys


def _key_columns(table):
    columns = []
    for phone in PHONES[table]:
        columns += [f'{phone}_e164', f'{phone}_tail']
    columns += [f'{email}_key' for email in EMAILS[table]]
    return columns + ['search_name']


def _fill(table):
    """Compute the keys of every row, a batch of ids at a time (no table-wide lock held)."""
    bind = op.get_bind()
    typed = [*PHONES[table], *EMAILS[table], *NAMES[table]]
    read = sa.text(f"SELECT id, {', '.join(typed)} FROM {table} WHERE id > :last "
                   f"ORDER BY id LIMIT {BATCH}")
    columns = _key_columns(table)
    write = sa.text(f"UPDATE {table} SET {', '.join(f'{c} = :{c}' for c in columns)} "
                    f"WHERE id = :id")
    last = 0
    while True:
        rows = bind.execute(read, {'last': last}).mappings().all()
        if not rows:
            return
        bind.execute(write, [{'id': row['id'], **_keys(table, row)} for row in rows])
        last = rows[-1]['id']


# SQLite: an external-content FTS5 table per table over search_name, kept by triggers,
# so every write (the app's, a bulk load, a restore) keeps it in step. The words are
# already folded (lower case, ё as е); unicode61 cuts them on the same boundaries.
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


def _name_index(table):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'CREATE INDEX ix_{table}_search_name ON {table} '
                   f'USING gin (search_name gin_trgm_ops)')
        return
    op.create_index(f'ix_{table}_search_name', table, ['search_name'], unique=False)
    op.execute(f"CREATE VIRTUAL TABLE {table}_fts USING fts5(search_name, "
               f"content='{table}', content_rowid='id', tokenize='unicode61')")
    op.execute(f"INSERT INTO {table}_fts ({table}_fts) VALUES ('rebuild')")
    for trigger in _FTS_TRIGGERS:
        op.execute(trigger.format(t=table))


def _filled(column):
    # Partial: the rows without a second phone or e-mail (most) stay out, so SQLite's
    # statistics do not judge the index useless for one big group of NULLs.
    condition = sa.text(f'{column} IS NOT NULL')
    return {'sqlite_where': condition, 'postgresql_where': condition}


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # An extension shipped with PostgreSQL; creating it needs a superuser or the
        # database owner with pg_trgm trusted (PostgreSQL 13 and later trust it).
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    for table in PHONES:
        # Plain ADD COLUMN (no batch copy): SQLite keeps the table and its expression indexes.
        for column in _key_columns(table):
            size = 16 if column.endswith(('_e164', '_tail')) else (
                600 if column == 'search_name' else 255)
            op.add_column(table, sa.Column(column, sa.String(size), nullable=True))
        _fill(table)
        for phone in PHONES[table]:
            op.create_index(f'ix_{table}_{phone}_e164', table, [f'{phone}_e164'], unique=False,
                            **_filled(f'{phone}_e164'))
            op.create_index(f'ix_{table}_{phone}_tail', table, [f'{phone}_tail'], unique=False,
                            postgresql_ops={f'{phone}_tail': 'text_pattern_ops'},
                            **_filled(f'{phone}_tail'))
        for email in EMAILS[table]:
            op.create_index(f'ix_{table}_{email}_key', table, [f'{email}_key'], unique=False,
                            **_filled(f'{email}_key'))
        _name_index(table)


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in reversed(list(PHONES)):
        if sqlite:
            for event in ('insert', 'delete', 'update'):
                op.execute(f'DROP TRIGGER IF EXISTS {table}_fts_{event}')
            op.execute(f'DROP TABLE IF EXISTS {table}_fts')
        op.drop_index(f'ix_{table}_search_name', table_name=table)
        for email in EMAILS[table]:
            op.drop_index(f'ix_{table}_{email}_key', table_name=table)
        for phone in PHONES[table]:
            op.drop_index(f'ix_{table}_{phone}_tail', table_name=table)
            op.drop_index(f'ix_{table}_{phone}_e164', table_name=table)
        for column in reversed(_key_columns(table)):
            # SQLite 3.35+ drops a column in place (no index covers it any more).
            op.drop_column(table, column)
