"""An announcement to everyone is queued ahead of every reminder (claim order is due_at): at the
worker's pace the reminders wait behind the whole announcement and are skipped as "too late".
Scaled down: 900 people at 1 msg/s (= 20,000 at the default 5/s would hold reminders for ~67 min)."""

from datetime import timedelta

from sqlalchemy import select

from bot.agenda.catalog import Catalog
from bot.announcements.broadcasts import Draft
from bot.assistant import Assistant
from bot.worker import Pacer, Worker
from storage.models import Delivery
from tests.conftest import oslo
from tests.partnering_helpers import RecordingNotifier, people


def test_reminder_starved_by_announcement(event_db, clock):
    clock.set(oslo(3, 9, 58))
    notifier = RecordingNotifier()
    bot = Assistant(db=event_db, clock=clock, send_now=True, organisers=frozenset({"*"}))
    bot.add_notifier("console", notifier)
    olweus = Catalog(event_db).current().search_index.search("olweus")[0].session  # starts 10:10
    crowd = people(bot, *[f"P{i}" for i in range(900)])
    ada = crowd[0]
    bot.bookmark(actor=ada, session_id=olweus.id)  # reminder due 10:00
    bot.announce(external_id="olga", actor=crowd[1], draft=Draft(text="Coffee is in the foyer", audience="everyone"))

    mono = [0.0]

    def sleep(seconds):  # virtual time: the clock moves as the worker paces
        mono[0] += seconds
        clock.set(clock.now() + timedelta(seconds=seconds))

    worker = Worker(
        deliverer=bot.deliverer,
        partnering=bot.partnering,
        reminders=bot.reminders,
        announcements=bot.announcements,
        rate=1.0,
        pacer=Pacer(1.0, sleep=sleep, monotonic=lambda: mono[0]),
    )
    worker.tick()
    with event_db.transaction() as s:
        row = s.execute(
            select(Delivery.status, Delivery.detail, Delivery.sent_at).where(Delivery.kind == "session_reminder")
        ).one()
    print("now", clock.now(), "reminder:", row)
    assert row.status == "sent", f"Ada's Olweus reminder (due 10:00) was never sent: {row}"
