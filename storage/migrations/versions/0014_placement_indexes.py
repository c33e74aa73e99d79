"""indexes for placing one meeting

Revision ID: 0014_placement_indexes
Revises: 0013_process_leases
Create Date: 2026-12-06 16:40:00

Placing an accepted request counts the booked meetings of each candidate slot and then takes the first free
table of one slot in the venue's order. ``meetings (slot_id, status, table_id)`` answers both from the index
alone; ``meeting_tables (venue_id, position, id)`` gives a venue's tables in order, so the first free one is
found without sorting all of them.
"""

from alembic import op

revision = "0014_placement_indexes"
down_revision = "0013_process_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_meetings_slot_status", "meetings", ["slot_id", "status", "table_id"])
    op.create_index("ix_meeting_tables_venue_position", "meeting_tables", ["venue_id", "position", "id"])


def downgrade() -> None:
    op.drop_index("ix_meeting_tables_venue_position", table_name="meeting_tables")
    op.drop_index("ix_meetings_slot_status", table_name="meetings")
