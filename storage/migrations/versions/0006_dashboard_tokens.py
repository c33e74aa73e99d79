"""one-time dashboard sign-in tokens

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 04:50:00
"""

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_dashboard_tokens_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_dashboard_tokens_token_hash")),
    )
    with op.batch_alter_table("dashboard_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_tokens_participant_id"), ["participant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dashboard_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_tokens_participant_id"))
    op.drop_table("dashboard_tokens")
