"""programme import previews kept in the database

Revision ID: 0015_import_previews
Revises: 0014_placement_indexes
Create Date: 2026-12-06 22:20:00

An organiser's ``session import <address>`` preview waits for their *Apply* press. It lived in the memory of the
web process that made it: with several web processes the press could land on another one, which said the preview
was out of date, or applied a preview of its own that had the same number.
"""

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0015_import_previews"
down_revision = "0014_placement_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_previews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organiser", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=2000), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_previews")),
        sqlite_autoincrement=True,  # numbers are never reused: an old Apply button must not apply a newer preview
    )
    with op.batch_alter_table("import_previews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_previews_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("import_previews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_previews_created_at"))
    op.drop_table("import_previews")
