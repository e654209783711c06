"""The inbox: leads from the website form and calls, their answer tasks, the lead rotation

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD_LINK = 'company_id IS NOT NULL OR contact_id IS NOT NULL OR deal_id IS NOT NULL'
NEW_LINK = OLD_LINK + ' OR inbox_item_id IS NOT NULL'
# Expression indexes of the task table (0004): a batch copy on SQLite cannot reflect them.
FOLDED = {
    'ix_task_owner_archived_subject_folded': '(owner_id, archived, lower(subject))',
    'ix_task_archived_subject_folded': '(archived, lower(subject))',
}


def _rebuild_folded_indexes():
    if op.get_bind().dialect.name == 'sqlite':
        for name, columns in FOLDED.items():
            op.execute(f'CREATE INDEX IF NOT EXISTS {name} ON task {columns}')


def upgrade():
    op.create_table(
        'inbox_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('external_id', sa.String(length=128), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=True),
        sa.Column('company_name', sa.String(length=255), nullable=True),
        sa.Column('phone', sa.String(length=32), nullable=True),
        sa.Column('email', sa.String(length=255), nullable=True),
        sa.Column('inn', sa.String(length=12), nullable=True),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('details', sa.JSON(), nullable=True),
        sa.Column('company_id', sa.Integer(), nullable=True),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('decline_reason', sa.String(length=16), nullable=True),
        sa.Column('decline_text', sa.String(length=500), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("source IN ('form', 'call', 'email')", name='ck_inbox_item_source'),
        sa.CheckConstraint("state IN ('new', 'accepted', 'linked', 'declined')",
                           name='ck_inbox_item_state'),
        sa.CheckConstraint("decline_reason IS NULL OR decline_reason IN "
                           "('spam', 'not_client', 'other')",
                           name='ck_inbox_item_decline_reason'),
        sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source', 'external_id', name='uq_inbox_item_source_external'),
    )
    op.create_index('ix_inbox_item_owner_state_received', 'inbox_item',
                    ['owner_id', 'state', 'received_at', 'id'])
    op.create_index('ix_inbox_item_state_received', 'inbox_item',
                    ['state', 'received_at', 'id'])
    op.create_index('ix_inbox_item_received', 'inbox_item',
                    ['received_at', 'owner_id', 'answered_at'])
    op.create_index('ix_inbox_item_company_id', 'inbox_item', ['company_id'])
    op.create_index('ix_inbox_item_contact_id', 'inbox_item', ['contact_id'])
    op.create_table(
        'intake_turn',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('last_user_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )
    op.execute("INSERT INTO intake_turn (name) VALUES ('leads')")
    with op.batch_alter_table('user_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('takes_leads', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inbox_item_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_task_inbox_item_id_inbox_item', 'inbox_item',
                                    ['inbox_item_id'], ['id'], ondelete='RESTRICT')
        batch_op.drop_constraint('ck_task_link', type_='check')
        batch_op.create_check_constraint('ck_task_link', NEW_LINK)
    _rebuild_folded_indexes()
    op.create_index('ix_task_inbox_item', 'task', ['inbox_item_id', 'state'])


def downgrade():
    op.drop_index('ix_task_inbox_item', table_name='task')
    op.execute('DELETE FROM task WHERE company_id IS NULL AND contact_id IS NULL '
               'AND deal_id IS NULL')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_constraint('ck_task_link', type_='check')
        batch_op.create_check_constraint('ck_task_link', OLD_LINK)
        batch_op.drop_constraint('fk_task_inbox_item_id_inbox_item', type_='foreignkey')
        batch_op.drop_column('inbox_item_id')
    _rebuild_folded_indexes()
    with op.batch_alter_table('user_profile', schema=None) as batch_op:
        batch_op.drop_column('takes_leads')
    op.drop_table('intake_turn')
    op.drop_index('ix_inbox_item_contact_id', table_name='inbox_item')
    op.drop_index('ix_inbox_item_company_id', table_name='inbox_item')
    op.drop_index('ix_inbox_item_received', table_name='inbox_item')
    op.drop_index('ix_inbox_item_state_received', table_name='inbox_item')
    op.drop_index('ix_inbox_item_owner_state_received', table_name='inbox_item')
    op.drop_table('inbox_item')
