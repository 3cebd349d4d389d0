"""accountmetric.influenced: each account's marketing-influenced pipeline, stored with its list row so
the funnel sums it instead of reading every touch

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:40:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A plain ADD COLUMN; the stored list metrics are recomputed once.
    op.add_column('accountmetric', sa.Column('influenced', sa.Float(), nullable=False, server_default='0'))
    op.execute('DELETE FROM metricstate')


def downgrade() -> None:
    op.execute('DELETE FROM metricstate')
    with op.batch_alter_table('accountmetric', schema=None) as batch_op:
        batch_op.drop_column('influenced')
