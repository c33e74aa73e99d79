"""people: the registration list (registrations) and where each profile field came from

Revision ID: 0011_people
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0011_people"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile_sources", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("profile_check_due", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("source_file", sa.String(length=200), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("imported_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("looked_up_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('unlinked', 'linked', 'opted_out')", name=op.f("ck_registrations_status")),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_registrations_participant_id_participants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
        sa.UniqueConstraint("email_hash", name=op.f("uq_registrations_email_hash")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_registrations_participant_id")),
    )
    op.create_index(op.f("ix_registrations_status"), "registrations", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_registrations_status"), table_name="registrations")
    op.drop_table("registrations")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("profile_check_due")
        batch_op.drop_column("profile_sources")
