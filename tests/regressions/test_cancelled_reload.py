"""A slot that only ever held a *cancelled* meeting is deleted on reload, but meetings.slot_id
(and meeting_seats.slot_id) are ON DELETE RESTRICT: any later edit of the block's times fails."""

from bot.assistant import Assistant
from bot.event_setup import load_event_file
from tests.conftest import oslo
from tests.partnering_helpers import TINY_EVENT, RecordingNotifier, people


def test_reload_after_a_cancelled_meeting(db, clock, tmp_path):
    clock.set(oslo(3, 8, 0))
    path = tmp_path / "e.yml"
    path.write_text(TINY_EVENT.format(end="12:00", tables=2))
    load_event_file(db, path, clock=clock)
    bot = Assistant(db=db, clock=clock, send_now=True)
    bot.add_notifier("console", RecordingNotifier())
    ann, bo = people(bot, "Ann", "Bo")
    result = bot.partnering.accept(
        request_id=bot.partnering.create_request(requester_id=ann, invitee_id=bo, topic="x").id, actor_id=bo
    )
    bot.cancel(actor=ann, meeting_id=result.meeting.id)  # meeting cancelled: nothing booked any more
    path.write_text(TINY_EVENT.format(end="12:15", tables=1).replace('start: "11:00"', 'start: "11:15"'))
    report = load_event_file(db, path, clock=clock)  # shift the block by 15 min, one table fewer
    print(report.summary_lines())
