"""A reassignment runs in the background: its state, whether to plan introductions, its end

A whole book can take longer to move than a web request may last, so the head's move is
recorded first ("running") and done by a background thread in one transaction, which
writes "done" with everything it moved, or "failed" when nothing moved. Moves recorded
before this revision were all done.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (no batch copy): SQLite adds a column with a constant default
    # in place, and the table keeps its indexes as they are.
    op.add_column('reassignment', sa.Column('state', sa.String(length=10), nullable=False,
                                            server_default=sa.text("'done'")))
    op.add_column('reassignment', sa.Column('introduce', sa.Boolean(), nullable=False,
                                            server_default=sa.true()))
    op.add_column('reassignment', sa.Column('finished_at', sa.DateTime(), nullable=True))
    op.add_column('reassignment', sa.Column('error', sa.String(length=500), nullable=True))
    op.create_index('ix_reassignment_state', 'reassignment', ['state'], unique=False)


def downgrade():
    op.drop_index('ix_reassignment_state', table_name='reassignment')
    with op.batch_alter_table('reassignment', schema=None) as batch_op:
        batch_op.drop_column('error')
        batch_op.drop_column('finished_at')
        batch_op.drop_column('introduce')
        batch_op.drop_column('state')
