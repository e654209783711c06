"""The duplicates report's counts: live records per value of each duplicate key, filled

The report read the values held more than once by grouping every company and contact by
each key; it now reads them from key_holders, and the indexes of those GROUP BYs go.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

KEYS = {
    'company': ('inn', 'phone_e164', 'email_key', 'search_name'),
    'contact': ('phone_e164', 'mobile_phone_e164', 'email_key', 'second_email_key'),
}
# The (key, archived) indexes the report's GROUP BYs read (migration 0011).
REPORT_KEYS = {
    'company': ('inn', 'phone_e164', 'email_key'),
    'contact': ('phone_e164', 'mobile_phone_e164', 'email_key', 'second_email_key'),
}


def _filled(column):
    condition = sa.text(f'{column} IS NOT NULL')
    return {'sqlite_where': condition, 'postgresql_where': condition}


def upgrade():
    op.create_table(
        'key_holders',
        sa.Column('record_type', sa.String(16), primary_key=True),
        sa.Column('key', sa.String(32), primary_key=True),
        sa.Column('value', sa.String(600), primary_key=True),
        sa.Column('n', sa.Integer(), nullable=False),
    )
    repeated = sa.text('n > 1')
    op.create_index('ix_key_holders_repeated', 'key_holders', ['record_type', 'key', 'value'],
                    sqlite_where=repeated, postgresql_where=repeated)
    # Filled as `flask crm rebuild-summaries` would.
    for table, keys in KEYS.items():
        for key in keys:
            op.execute(
                f"INSERT INTO key_holders (record_type, key, value, n) SELECT '{table}', "
                f"'{key}', {key}, COUNT(*) FROM {table} WHERE archived = false "
                f"AND {key} IS NOT NULL GROUP BY {key}"
            )
    op.execute('ANALYZE key_holders')
    for table, columns in REPORT_KEYS.items():
        for column in columns:
            op.drop_index(f'ix_{table}_{column}_live', table_name=table)


def downgrade():
    for table, columns in REPORT_KEYS.items():
        for column in columns:
            op.create_index(f'ix_{table}_{column}_live', table, [column, 'archived'],
                            unique=False, **_filled(column))
    op.drop_index('ix_key_holders_repeated', table_name='key_holders')
    op.drop_table('key_holders')
