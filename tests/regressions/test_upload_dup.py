"""The calendar upload failing after chat.postMessage succeeded makes the whole delivery retry:
the "Meeting booked" DM is posted again (and again, up to 5 times)."""

from datetime import timedelta

from sqlalchemy import select

from bot.assistant import Assistant
from bot.partnering.participants import PersonInfo
from handlers.slack.app import make_client
from handlers.slack.notifier import SlackNotifier
from storage.models import Delivery
from tests.conftest import oslo


def test_upload_failure_reposts_meeting_booked(event_db, clock, fake_slack):
    clock.set(oslo(3, 8, 0))
    bot = Assistant(db=event_db, clock=clock, send_now=True)
    bot.add_notifier("slack", SlackNotifier(make_client(token="xoxb-test", base_url=fake_slack.url)))
    ada, bo = (
        bot.identify(platform="slack", external_id=u, lookup=lambda u=u: PersonInfo(display_name=u))
        for u in ("U100", "U200")
    )
    req = bot.partnering.create_request(requester_id=ada, invitee_id=bo, topic="TCR")
    bot.sent()
    # Slack's file service has a bad minute: the first upload call fails (500, also after the SDK's 2 retries).
    fake_slack.fail_next("files.getUploadURLExternal", error="internal_error", status=500, retry_after=None, times=3)
    bot.accept(actor=bo, request_id=req.id)
    clock.set(clock.now() + timedelta(minutes=1))  # back-off passed; the web kick / worker retries
    bot.deliverer.drain()
    posts = [
        c.params["text"]
        for c in fake_slack.calls("chat.postMessage")
        if c.ok and c.params["channel"] == "U100" and c.params["text"].startswith("Meeting booked")
    ]
    with event_db.transaction() as s:
        print(
            s.execute(
                select(Delivery.kind, Delivery.participant_id, Delivery.status, Delivery.attempts, Delivery.detail).where(
                    Delivery.kind == "meeting_confirmed"
                )
            ).all()
        )
    print(posts)
    assert len(posts) == 1, f"Ada got 'Meeting booked' {len(posts)} times"
