"""contact.phone: who to call next needs the number (HubSpot, Salesforce and the generic format)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 18:45:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('contact', sa.Column('phone', sa.String(), nullable=True))  # a plain ADD COLUMN


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('phone')
