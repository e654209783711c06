"""Summary tables of the head's charts (done tasks, closed deals, new clients), filled

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _user():
    return sa.ForeignKey('ab_user.id', ondelete='CASCADE')


def _create_tables():
    op.create_table(
        'task_done_day',
        sa.Column('user_id', sa.Integer(), _user(), primary_key=True),
        sa.Column('day', sa.Date(), primary_key=True),
        sa.Column('n', sa.Integer(), nullable=False),
    )
    op.create_index('ix_task_done_day_day', 'task_done_day', ['day', 'user_id', 'n'])
    op.create_table(
        'deal_closed_month',
        sa.Column('owner_id', sa.Integer(), _user(), primary_key=True),
        sa.Column('month', sa.Date(), primary_key=True),
        sa.Column('stage_id', sa.Integer(), sa.ForeignKey('stage.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('currency', sa.String(3), primary_key=True),
        sa.Column('lost_reason', sa.String(255), primary_key=True),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('amount_n', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Numeric(18, 2), nullable=False),
    )
    op.create_index('ix_deal_closed_month_month', 'deal_closed_month', ['month', 'stage_id'])
    op.create_table(
        'client_created_month',
        sa.Column('owner_id', sa.Integer(), _user(), primary_key=True),
        sa.Column('month', sa.Date(), primary_key=True),
        sa.Column('kind', sa.String(16), primary_key=True),
        sa.Column('source', sa.String(100), primary_key=True),
        sa.Column('n', sa.Integer(), nullable=False),
    )
    op.create_index('ix_client_created_month_month', 'client_created_month', ['month'])
    # The team day's deals past their expected close date, per manager.
    op.create_index('ix_deal_past_close', 'deal',
                    ['archived', 'stage_id', 'expected_close_date', 'owner_id'])


def _fill():
    """Fill the tables from the records, as `flask crm rebuild-summaries` would."""
    if op.get_bind().dialect.name == 'sqlite':
        day, month = "date({})", "date({}, 'start of month')"
    else:
        day, month = "CAST({} AS date)", "CAST(date_trunc('month', {}) AS date)"
    done_day = day.format('done_at')
    op.execute(
        "INSERT INTO task_done_day (user_id, day, n) "
        f"SELECT done_by_id, {done_day}, COUNT(*) FROM task "
        "WHERE state = 'done' AND archived = false AND done_by_id IS NOT NULL "
        f"AND done_at IS NOT NULL GROUP BY done_by_id, {done_day}"
    )
    closed = month.format('closed_at')
    op.execute(
        "INSERT INTO deal_closed_month "
        "(owner_id, month, stage_id, currency, lost_reason, n, amount_n, amount) "
        f"SELECT owner_id, {closed}, stage_id, COALESCE(currency, 'RUB'), "
        "COALESCE(lost_reason, ''), COUNT(*), COUNT(amount), COALESCE(SUM(amount), 0) "
        "FROM deal WHERE closed_at IS NOT NULL AND archived = false "
        f"GROUP BY owner_id, {closed}, stage_id, COALESCE(currency, 'RUB'), "
        "COALESCE(lost_reason, '')"
    )
    created = month.format('created_at')
    source = "COALESCE(TRIM(source), '')"
    for table, kind, extra in (('company', 'company', ''),
                               ('contact', 'private', ' AND company_id IS NULL')):
        op.execute(
            "INSERT INTO client_created_month (owner_id, month, kind, source, n) "
            f"SELECT owner_id, {created}, '{kind}', {source}, COUNT(*) FROM {table} "
            f"WHERE archived = false{extra} GROUP BY owner_id, {created}, {source}"
        )


def upgrade():
    _create_tables()
    _fill()


def downgrade():
    op.drop_index('ix_deal_past_close', table_name='deal')
    op.drop_index('ix_client_created_month_month', table_name='client_created_month')
    op.drop_table('client_created_month')
    op.drop_index('ix_deal_closed_month_month', table_name='deal_closed_month')
    op.drop_table('deal_closed_month')
    op.drop_index('ix_task_done_day_day', table_name='task_done_day')
    op.drop_table('task_done_day')
