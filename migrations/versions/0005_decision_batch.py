"""decision.batch: decisions taken together (marked accounts, a built list) share a token; undo reverses them together

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A plain ALTER TABLE ADD COLUMN on both databases: rebuilding `decision` would drop its
    # append-only triggers.
    op.add_column('decision', sa.Column('batch', sa.String(length=32), nullable=True))
    op.create_index(op.f('ix_decision_batch'), 'decision', ['batch'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_decision_batch'), table_name='decision')
    op.drop_column('decision', 'batch')
