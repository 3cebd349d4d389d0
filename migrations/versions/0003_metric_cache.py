"""metric cache: every account's list metrics as last computed, and what they were computed for

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('accountmetric',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('is_mqa', sa.Boolean(), nullable=False),
    sa.Column('engaged_roles', sa.Integer(), nullable=True),
    sa.Column('required_roles', sa.Integer(), nullable=False),
    sa.Column('coverage', sa.Float(), nullable=True),
    sa.Column('top_gap', sa.String(), nullable=True),
    sa.Column('gaps', sa.String(), nullable=False),
    sa.Column('pipeline', sa.Float(), nullable=False),
    sa.Column('last_touch', sa.Date(), nullable=True),
    sa.Column('agenda', sa.String(), nullable=False),
    sa.Column('score_parts', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_accountmetric_account_id_account'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_accountmetric'))
    )
    op.create_table('metricstate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('params_key', sa.String(), nullable=False),
    sa.Column('velocity', sa.String(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metricstate'))
    )


def downgrade() -> None:
    op.drop_table('metricstate')
    op.drop_table('accountmetric')
