"""An organiser deletes the "sent 3 of 3" progress DM (chat.update then answers message_not_found):
the announcement never reaches `done`, and because one try wraps the loop, every other
announcement's progress/final report is stuck behind it too."""

from sqlalchemy import select

from bot.announcements.broadcasts import Draft
from bot.assistant import Assistant
from bot.delivery.notifier import DeliveryError
from bot.partnering.participants import PersonInfo
from bot.worker import Worker
from handlers.slack.app import make_client
from handlers.slack.notifier import SlackNotifier
from storage.models import Announcement, Delivery
from tests.conftest import oslo


def test_announcement_stuck_in_sending(event_db, clock, fake_slack):
    clock.set(oslo(2, 12, 0))
    bot = Assistant(db=event_db, clock=clock, send_now=True, organisers=frozenset({"U900", "U901"}))
    notifier = SlackNotifier(make_client(token="xoxb-test", base_url=fake_slack.url))
    bot.add_notifier("slack", notifier)
    ids = {
        u: bot.identify(platform="slack", external_id=u, lookup=lambda u=u: PersonInfo(display_name=u))
        for u in ("U100", "U200", "U900", "U901")
    }
    worker = Worker(
        deliverer=bot.deliverer,
        partnering=bot.partnering,
        reminders=bot.reminders,
        announcements=bot.announcements,
        rate=None,
        progress_every=0,
    )
    bot.announce(external_id="U900", actor=ids["U900"], draft=Draft(text="first", audience="everyone"))
    bot.announce(external_id="U901", actor=ids["U901"], draft=Draft(text="second", audience="everyone"))
    original = SlackNotifier.update

    def update(self, recipient, ref, reply):
        if recipient.external_id == "U900":  # Olga deleted her progress message
            raise DeliveryError("message_not_found", permanent=True)
        return original(self, recipient, ref, reply)

    SlackNotifier.update = update
    try:
        for _ in range(5):
            worker.tick()
    finally:
        SlackNotifier.update = original
    with event_db.transaction() as s:
        rows = s.execute(
            select(Announcement.id, Announcement.text, Announcement.status)
            .where(Announcement.status != "draft")
            .order_by(Announcement.id)
        ).all()
        pending = s.scalar(select(Delivery.id).where(Delivery.kind == "announcement", Delivery.status != "sent"))
    print(rows, "undelivered:", pending)
    assert pending is None  # every message did go out
    assert [r.status for r in rows] == ["done", "done"], f"stuck: {rows}"
