"""A re-loaded event file that shifts a partnering block keeps the booked meeting in a retired slot,
and the scheduler then books the same person and the same table into an overlapping new slot."""

from sqlalchemy import select

from bot.assistant import Assistant
from bot.event_setup import load_event_file
from storage.models import Meeting, MeetingSlot, MeetingTable
from tests.conftest import OSLO, oslo
from tests.partnering_helpers import TINY_EVENT, RecordingNotifier, people


def test_shifted_block_double_books_person_and_table(db, clock, tmp_path):
    clock.set(oslo(3, 8, 0))
    path = tmp_path / "e.yml"
    path.write_text(TINY_EVENT.format(end="12:00", tables=1))
    load_event_file(db, path, clock=clock)
    bot = Assistant(db=db, clock=clock, send_now=True)
    bot.add_notifier("console", RecordingNotifier())
    ann, bo, cy = people(bot, "Ann", "Bo", "Cy")
    r1 = bot.partnering.create_request(requester_id=ann, invitee_id=bo, topic="first")
    bot.accept(actor=bo, request_id=r1.id)  # Ann+Bo 11:00-11:30, Table 1

    # Organiser shifts the block by 15 minutes (11:15-12:15) and reloads.
    path.write_text(TINY_EVENT.format(end="12:15", tables=1).replace('start: "11:00"', 'start: "11:15"'))
    load_event_file(db, path, clock=clock)
    bot.catalog = type(bot.catalog)(db)

    r2 = bot.partnering.create_request(requester_id=ann, invitee_id=cy, topic="second")
    print(bot.accept(actor=cy, request_id=r2.id).text)
    with db.transaction() as s:
        rows = s.execute(
            select(Meeting.request_id, MeetingSlot.starts_at, MeetingSlot.ends_at, MeetingTable.name)
            .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
            .join(MeetingTable, MeetingTable.id == Meeting.table_id)
            .where(Meeting.status == "booked")
            .order_by(MeetingSlot.starts_at)
        ).all()
    shown = [(rid, f"{a.astimezone(OSLO):%H:%M}-{b.astimezone(OSLO):%H:%M}", t) for rid, a, b, t in rows]
    print(shown)
    (_, s1, e1, t1), (_, s2, e2, t2) = rows[0], rows[1]
    assert not (s2 < e1 and s1 < e2), f"Ann is in two overlapping meetings (and {t1}/{t2} hosts both): {shown}"
