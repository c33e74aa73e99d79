"""After a reload retires a partnering block (it holds meetings), pressing "Mark unavailable" /
"Mark available" for it on an older /meetings message raises StopIteration out of the core."""

from bot.assistant import Assistant
from bot.event_setup import load_event_file
from tests.conftest import oslo
from tests.partnering_helpers import TINY_EVENT, RecordingNotifier, people


def test_mark_unavailable_on_retired_block(db, clock, tmp_path):
    clock.set(oslo(3, 8, 0))
    path = tmp_path / "e.yml"
    path.write_text(TINY_EVENT.format(end="12:00", tables=1))
    load_event_file(db, path, clock=clock)
    bot = Assistant(db=db, clock=clock, send_now=True)
    bot.add_notifier("console", RecordingNotifier())
    ann, bo, cy = people(bot, "Ann", "Bo", "Cy")
    bot.accept(actor=bo, request_id=bot.partnering.create_request(requester_id=ann, invitee_id=bo, topic="x").id)
    [block] = bot.partnering.blocks(participant_id=cy)  # Cy's /meetings shows "Mark unavailable" for it
    text = TINY_EVENT.format(end="12:00", tables=1).replace("key: only-block", "key: new-block")
    path.write_text(text)
    load_event_file(db, path, clock=clock)  # old block kept inactive (it has a meeting)
    reply = bot.set_unavailable(actor=cy, block_id=block.id, unavailable=True)  # Cy presses the old button
    print(reply.text)
