"""accountmetric: the score's inputs in a column each (they were one packed text, score_parts)

The table is a cache: it is rebuilt empty and the metrics are recomputed on the next start.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COMMON = (
    ('version', sa.Integer(), False),
    ('stage', sa.String(), False),
    ('score', sa.Integer(), False),
    ('is_mqa', sa.Boolean(), False),
    ('engaged_roles', sa.Integer(), True),
    ('required_roles', sa.Integer(), False),
    ('coverage', sa.Float(), True),
    ('top_gap', sa.String(), True),
    ('gaps', sa.String(), False),
    ('pipeline', sa.Float(), False),
    ('last_touch', sa.Date(), True),
    ('agenda', sa.String(), False),
)


def _create(extra) -> None:
    op.create_table(
        'accountmetric',
        sa.Column('account_id', sa.Integer(), nullable=False),
        *(sa.Column(name, type_, nullable=null) for name, type_, null in (*COMMON, *extra)),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_accountmetric_account_id_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_accountmetric')),
    )


def upgrade() -> None:
    op.execute('DELETE FROM metricstate')  # nothing stored is current any more
    op.drop_table('accountmetric')
    _create((
        ('active_stakeholders', sa.Integer(), False),
        ('intent_points', sa.Integer(), False),
        ('breadth', sa.Float(), False),
        ('depth', sa.Float(), False),
        ('recency', sa.Float(), False),
    ))


def downgrade() -> None:
    op.execute('DELETE FROM metricstate')
    op.drop_table('accountmetric')
    _create((('score_parts', sa.String(), False),))
