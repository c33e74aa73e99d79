"""partnering rules on the event, and scheduling runs

Revision ID: 0012_schedule_runs
Revises: 0011_people
"""

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0012_schedule_runs"
down_revision = "0011_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partnering_rules", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("trigger_key", sa.String(length=100), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("placed", sa.Integer(), nullable=False),
        sa.Column("bound", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_schedule_runs_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_runs")),
        sa.UniqueConstraint("event_id", "trigger_key", name="uq_schedule_runs_event_trigger"),
    )
    with op.batch_alter_table("schedule_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schedule_runs_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("schedule_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_runs_event_id"))
    op.drop_table("schedule_runs")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("partnering_rules")
