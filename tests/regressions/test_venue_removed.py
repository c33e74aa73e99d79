"""Removing a venue (and its tables and block) from the event file while a meeting is booked there:
the loader promises to keep tables with meetings, but the load dies with a raw IntegrityError."""

from bot.assistant import Assistant
from bot.event_setup import load_event_file
from tests.conftest import oslo
from tests.partnering_helpers import TINY_EVENT, RecordingNotifier, people

TWO_VENUES = TINY_EVENT.replace(
    """partnering:""",
    """  - key: annex
    name: Annex
    address: Testveien 2
    rooms: [Hall]
partnering:""",
)


def test_venue_with_meetings_removed(db, clock, tmp_path):
    clock.set(oslo(3, 8, 0))
    path = tmp_path / "e.yml"
    path.write_text(TWO_VENUES.format(end="12:00", tables=1))
    load_event_file(db, path, clock=clock)
    bot = Assistant(db=db, clock=clock, send_now=True)
    bot.add_notifier("console", RecordingNotifier())
    ann, bo = people(bot, "Ann", "Bo")
    bot.accept(actor=bo, request_id=bot.partnering.create_request(requester_id=ann, invitee_id=bo, topic="x").id)
    # the organiser moves partnering to the annex and drops the hall
    new = (
        TWO_VENUES.format(end="12:00", tables=1)
        .replace(
            """  - key: hall
    name: Small Hall
    address: Testveien 1, 0001 Oslo
    rooms: [Lounge]
""",
            "",
        )
        .replace("venue: hall", "venue: annex")
        .replace("room: Lounge", "room: Hall")
    )
    path.write_text(new)
    report = load_event_file(db, path, clock=clock)
    print(report.summary_lines())
