"""revenue and intent: spend, intent signals, a lost deal's reason, and the intent on the stored list row

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 18:40:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('spend',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(length=64), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('team', sa.String(), nullable=False),
    sa.Column('program', sa.String(), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('description', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spend')),
    sa.UniqueConstraint('source_key', name=op.f('uq_spend_source_key'))
    )
    op.create_table('intentsignal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('topic', sa.String(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('source', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_intentsignal_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intentsignal')),
    sa.UniqueConstraint('source_key', name=op.f('uq_intentsignal_source_key'))
    )
    with op.batch_alter_table('intentsignal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intentsignal_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intentsignal_date'), ['date'], unique=False)

    # Plain ADD COLUMNs (no table rebuilds). The stored list metrics are recomputed once.
    op.add_column('accountmetric', sa.Column('intent_score', sa.Float(), nullable=True))
    op.add_column('accountmetric', sa.Column('surging_topics', sa.String(), nullable=False, server_default=''))
    op.execute('DELETE FROM metricstate')
    op.add_column('opportunity', sa.Column('lost_reason', sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.drop_column('lost_reason')

    with op.batch_alter_table('accountmetric', schema=None) as batch_op:
        batch_op.drop_column('surging_topics')
        batch_op.drop_column('intent_score')

    with op.batch_alter_table('intentsignal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intentsignal_date'))
        batch_op.drop_index(batch_op.f('ix_intentsignal_account_id'))

    op.drop_table('intentsignal')
    op.drop_table('spend')
