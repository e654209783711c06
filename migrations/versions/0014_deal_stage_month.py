"""The pipeline's summary: deals per manager, stage, currency and expected close month, filled

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 16:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'deal_stage_month',
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('ab_user.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('month', sa.Date(), primary_key=True),
        sa.Column('stage_id', sa.Integer(), sa.ForeignKey('stage.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('currency', sa.String(3), primary_key=True),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('amount_n', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Numeric(18, 2), nullable=False),
    )
    op.create_index('ix_deal_stage_month_stage', 'deal_stage_month', ['stage_id', 'month'])
    # Filled as `flask crm rebuild-summaries` would; a deal without an expected close date
    # counts in the month 0001-01-01 (NO_CLOSE_MONTH).
    if op.get_bind().dialect.name == 'sqlite':
        month = "COALESCE(date(expected_close_date, 'start of month'), '0001-01-01')"
    else:
        month = ("COALESCE(CAST(date_trunc('month', expected_close_date) AS date), "
                 "DATE '0001-01-01')")
    op.execute(
        "INSERT INTO deal_stage_month (owner_id, month, stage_id, currency, n, amount_n, "
        f"amount) SELECT owner_id, {month}, stage_id, COALESCE(currency, 'RUB'), COUNT(*), "
        "COUNT(amount), COALESCE(SUM(amount), 0) FROM deal WHERE archived = false "
        f"GROUP BY owner_id, {month}, stage_id, COALESCE(currency, 'RUB')"
    )
    op.execute('ANALYZE deal_stage_month')


def downgrade():
    op.drop_index('ix_deal_stage_month_stage', table_name='deal_stage_month')
    op.drop_table('deal_stage_month')
