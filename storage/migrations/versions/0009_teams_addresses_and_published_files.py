"""Teams: conversation references per participant (addresses) and published calendar files

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "participant_addresses",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("dead_reason", sa.String(length=200), server_default="", nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_participant_addresses_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_participant_addresses")),
    )
    op.create_table(
        "published_files",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("mimetype", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_published_files_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_published_files")),
    )
    with op.batch_alter_table("published_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_published_files_participant_id"), ["participant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("published_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_published_files_participant_id"))
    op.drop_table("published_files")
    op.drop_table("participant_addresses")
