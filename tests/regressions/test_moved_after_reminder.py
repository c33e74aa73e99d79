"""A session delayed after its reminder went out gets no reminder before its new start
(retime() only touches `pending` rows, and the dedupe key blocks a new one)."""

from sqlalchemy import select

from bot.assistant import Assistant
from bot.worker import Worker
from storage.models import AgendaSession
from tests.conftest import oslo
from tests.partnering_helpers import RecordingNotifier, people


def test_delayed_session_reminds_again(event_db, clock):
    clock.set(oslo(3, 9, 0))
    inbox = RecordingNotifier()
    bot = Assistant(db=event_db, clock=clock, send_now=True, organisers=frozenset({"*"}))
    bot.add_notifier("console", inbox)
    worker = Worker(deliverer=bot.deliverer, partnering=bot.partnering, reminders=bot.reminders, rate=None)
    with event_db.transaction() as s:
        sid = s.scalar(select(AgendaSession.id).where(AgendaSession.key == "d1-olweus-keynote"))  # 10:10
    [ada] = people(bot, "Ada")
    bot.bookmark(actor=ada, session_id=sid)
    clock.set(oslo(3, 10, 0))
    worker.tick()  # "Starting in 10 min"
    clock.set(oslo(3, 10, 5))
    print(bot.edit_session(external_id="o", text="move d1-olweus-keynote to 14:00").text)  # speaker delayed
    for hhmm in ((10, 6), (13, 50), (13, 55)):
        clock.set(oslo(3, *hhmm))
        worker.tick()
    print(inbox.texts("Ada"))
    assert any("Starting in 10 min" in t for t in inbox.texts("Ada")[1:]), "no reminder before the new 14:00 start"
