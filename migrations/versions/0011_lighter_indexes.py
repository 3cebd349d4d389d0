"""Indexes an import builds and nothing reads go, and stagechange's serve the stage velocity.

stagechange: its key a unique index instead of a unique constraint (a bulk load builds it once after
the rows; it serves lookups by deal, so the plain index on opportunity_id goes), and the date index
carrying the deal (the deals with a change in a period are read from the index alone). The CRM ids
of accounts, contacts and deals are matched in memory, and touches are read by account (their
newest is one scan, at the end of an import): those indexes go, and with them the contact's and the
date's of a touch (an import of 100,000 accounts built them for 0.85 s).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 06:20:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


CRM_IDS = ('account', 'contact', 'opportunity')


def upgrade() -> None:
    for name in CRM_IDS:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{name}_hubspot_id')
            batch_op.drop_index(f'ix_{name}_salesforce_id')
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.drop_index('ix_engagement_contact_id')
        batch_op.drop_index('ix_engagement_occurred_at')
    with op.batch_alter_table('stagechange', schema=None) as batch_op:
        batch_op.drop_constraint('uq_stagechange_opportunity_id', type_='unique')
        batch_op.drop_index('ix_stagechange_opportunity_id')
        batch_op.drop_index('ix_stagechange_entered_at')
        batch_op.create_index('ix_stagechange_key', ['opportunity_id', 'stage', 'entered_at'], unique=True)
        batch_op.create_index('ix_stagechange_entered_at', ['entered_at', 'opportunity_id'])


def downgrade() -> None:
    with op.batch_alter_table('stagechange', schema=None) as batch_op:
        batch_op.drop_index('ix_stagechange_entered_at')
        batch_op.drop_index('ix_stagechange_key')
        batch_op.create_index('ix_stagechange_entered_at', ['entered_at'])
        batch_op.create_index('ix_stagechange_opportunity_id', ['opportunity_id'])
        batch_op.create_unique_constraint('uq_stagechange_opportunity_id', ['opportunity_id', 'stage', 'entered_at'])
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.create_index('ix_engagement_occurred_at', ['occurred_at'])
        batch_op.create_index('ix_engagement_contact_id', ['contact_id'])
    for name in CRM_IDS:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.create_index(f'ix_{name}_salesforce_id', ['salesforce_id'])
            batch_op.create_index(f'ix_{name}_hubspot_id', ['hubspot_id'])
