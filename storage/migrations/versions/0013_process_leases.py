"""process leases on intake records

Revision ID: 0013_process_leases
Revises: 0012_schedule_runs
Create Date: 2026-12-06 13:40:00

A recorded press belongs to the web process that wrote it for as long as that process renews its lease
(a heartbeat every second); the worker takes over presses whose lease ran out.
"""

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0013_process_leases"
down_revision = "0012_schedule_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=100), server_default="", nullable=False))
        batch_op.add_column(sa.Column("claimed_until", storage.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
