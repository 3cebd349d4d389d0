"""source_key of engagement, intentsignal and spend: a unique index instead of a unique constraint, so
a bulk load can build it once after the rows (SQLite cannot drop a constraint's own index)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:10:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ('engagement', 'intentsignal', 'spend')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'uq_{table}_source_key', type_='unique')
            batch_op.create_index(f'ix_{table}_source_key', ['source_key'], unique=True)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_source_key')
            batch_op.create_unique_constraint(f'uq_{table}_source_key', ['source_key'])
