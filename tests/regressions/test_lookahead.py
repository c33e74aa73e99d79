"""The worker's look-ahead counts every reminder-kind row due in the next hour (including the 18:00
evening digests), not the batch that falls due together: with 9,000 digests queued (one per participant),
every other reminder due 17:00-18:00 is sent up to 30 minutes early."""

from sqlalchemy import insert, select

from bot.assistant import Assistant
from bot.delivery.outbox import enqueue_many, message
from bot.worker import Pacer, Worker
from storage.models import AgendaSession, Participant
from tests.conftest import oslo
from tests.partnering_helpers import RecordingNotifier, people


def test_reminder_sent_half_an_hour_early(event_db, clock):
    clock.set(oslo(3, 16, 0))
    notifier = RecordingNotifier()
    bot = Assistant(db=event_db, clock=clock, send_now=True, organisers=frozenset({"*"}))
    bot.add_notifier("console", notifier)
    print(bot.edit_session(external_id="o", text="move d1-networking-reception to 17:45").text)
    with event_db.transaction() as s:
        reception = s.scalar(select(AgendaSession.id).where(AgendaSession.key == "d1-networking-reception"))
    [ada] = people(bot, "Ada")
    bot.bookmark(actor=ada, session_id=reception)  # lead 10 min: due 17:35
    now = clock.now()
    with event_db.transaction(write=True) as s:  # 9,000 participants' evening digests, due 18:00
        s.execute(
            insert(Participant),
            [
                dict(
                    platform="console",
                    external_id=f"p{i}",
                    display_name=f"P{i}",
                    created_at=now,
                    updated_at=now,
                    interests=[],
                )
                for i in range(9000)
            ],
        )
        ids = s.scalars(select(Participant.id).where(Participant.external_id.like("p%"))).all()
        enqueue_many(
            s,
            [
                message(
                    participant_id=p,
                    kind="daily_digest",
                    dedupe_key=f"daily_digest:2026-12-04:{p}",
                    due_at=oslo(3, 18, 0),
                    now=now,
                    payload={"day": "2026-12-04"},
                )
                for p in ids
            ],
        )
    clock.set(oslo(3, 17, 5))
    worker = Worker(
        deliverer=bot.deliverer,
        partnering=bot.partnering,
        reminders=bot.reminders,
        announcements=bot.announcements,
        rate=5.0,
        pacer=Pacer(None),
    )
    print("lookahead:", worker.lookahead())
    worker.tick()
    got = notifier.texts("Ada")
    print(clock.now(), got)
    assert not any(t.startswith("Starting in") for t in got), f"sent at 17:05 for a 17:45 session with a 10-min lead: {got}"
