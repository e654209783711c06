"""Cadence per stage, the deals' last touch and close date moves, the sales plan

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:40:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

CADENCE = 'max_days_between_touches IS NULL OR max_days_between_touches BETWEEN 1 AND 365'
DEAL_INDEXES = {
    'ix_deal_owner_cadence': ['owner_id', 'archived', 'stage_id', 'last_touch_at',
                              'next_task_at'],
    'ix_deal_cadence': ['archived', 'stage_id', 'last_touch_at', 'next_task_at'],
    'ix_deal_owner_forecast': ['owner_id', 'archived', 'expected_close_date', 'stage_id',
                               'currency', 'amount'],
    'ix_deal_forecast': ['archived', 'expected_close_date', 'stage_id', 'currency', 'amount'],
}

def _fill_close_date_moves():
    """Count, from the history, the moves of each deal's expected close date."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT entity_id, changes FROM history WHERE entity = 'deal' "
        "AND action = 'changed' AND changes IS NOT NULL"))
    moves = {}
    for deal_id, changes in rows:
        if isinstance(changes, str):
            changes = json.loads(changes)
        for change in changes or []:
            if change.get('field') == 'expected_close_date' and change.get('old') \
                    and change.get('new') and change['old'] != change['new']:
                moves[deal_id] = moves.get(deal_id, 0) + 1
    if moves:
        bind.execute(sa.text("UPDATE deal SET close_date_moves = :moves WHERE id = :id"),
                     [{'id': deal_id, 'moves': count} for deal_id, count in moves.items()])


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # A column with its own CHECK: no copy of the stage table, which deals refer to.
        op.execute('ALTER TABLE stage ADD COLUMN max_days_between_touches INTEGER '
                   f'CONSTRAINT ck_stage_cadence CHECK ({CADENCE})')
    else:
        op.add_column('stage', sa.Column('max_days_between_touches', sa.Integer(),
                                         nullable=True))
        op.create_check_constraint('ck_stage_cadence', 'stage', CADENCE)
    # Plain ALTER TABLE on both databases: no copy of the deal table, which tasks refer to.
    op.add_column('deal', sa.Column('last_touch_at', sa.DateTime(), nullable=True))
    op.add_column('deal', sa.Column('close_date_moves', sa.Integer(), nullable=False,
                                    server_default=sa.text('0')))
    # One set-based UPDATE: the latest done task, or the deal's creation.
    op.execute(
        "UPDATE deal SET last_touch_at = coalesce((SELECT max(task.done_at) FROM task "
        "WHERE task.deal_id = deal.id AND task.state = 'done' AND task.archived = false), "
        "deal.created_at)"
    )
    _fill_close_date_moves()
    for name, columns in DEAL_INDEXES.items():
        op.create_index(name, 'deal', columns, unique=False)
    op.create_table(
        'sales_plan',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('touches', sa.Integer(), nullable=True),
        sa.Column('set_by_id', sa.Integer(), nullable=True),
        sa.Column('set_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('amount IS NULL OR amount >= 0', name='ck_sales_plan_amount'),
        sa.CheckConstraint('touches IS NULL OR touches >= 0', name='ck_sales_plan_touches'),
        sa.ForeignKeyConstraint(['manager_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['set_by_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('manager_id', 'month', name='uq_sales_plan_manager_month'),
    )
    op.create_index('ix_sales_plan_month', 'sales_plan', ['month', 'manager_id'], unique=False)


def downgrade():
    op.drop_index('ix_sales_plan_month', table_name='sales_plan')
    op.drop_table('sales_plan')
    for name in DEAL_INDEXES:
        op.drop_index(name, table_name='deal')
    op.drop_column('deal', 'close_date_moves')
    op.drop_column('deal', 'last_touch_at')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE stage DROP COLUMN max_days_between_touches')
    else:
        op.drop_constraint('ck_stage_cadence', 'stage', type_='check')
        op.drop_column('stage', 'max_days_between_touches')
