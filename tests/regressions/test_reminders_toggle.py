"""Meeting reminders switched off and on again never come back for meetings already booked."""

from sqlalchemy import select

from bot.assistant import Assistant
from storage.models import Delivery
from tests.conftest import oslo
from tests.partnering_helpers import RecordingNotifier, people


def test_meeting_reminders_off_then_on_restores_reminder(event_db, clock):
    clock.set(oslo(3, 8, 0))
    notifier = RecordingNotifier()
    bot = Assistant(db=event_db, clock=clock, send_now=True)
    bot.add_notifier("console", notifier)
    ann, bo = people(bot, "Ann", "Bo")
    req = bot.partnering.create_request(requester_id=ann, invitee_id=bo, topic="TCR")
    bot.accept(actor=bo, request_id=req.id)  # meeting Thu 11:10, reminder due 11:00
    bot.set_reminder_preferences(actor=ann, meeting_reminders=False)
    bot.set_reminder_preferences(actor=ann, meeting_reminders=True)  # changes her mind a minute later
    with event_db.transaction() as s:
        rows = s.execute(
            select(Delivery.status, Delivery.detail).where(
                Delivery.kind == "meeting_reminder", Delivery.participant_id == ann
            )
        ).all()
    print(rows)
    assert ("pending", "") in rows, f"Ann's meeting reminder is gone for good: {rows}"
