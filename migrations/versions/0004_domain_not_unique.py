"""account.domain no longer unique: two CRM companies may share a domain (imported, reported as possible duplicates)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:30:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_account_domain'), type_='unique')
        batch_op.create_index(batch_op.f('ix_account_domain'), ['domain'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_domain'))
        batch_op.create_unique_constraint(batch_op.f('uq_account_domain'), ['domain'])
