"""When "schedule all" meets a booking made meanwhile (IntegrityError on the bulk insert), its
one-by-one fallback calls scheduling.place() without the request's preferred day."""

from sqlalchemy import select

from bot.assistant import Assistant
from bot.partnering import placement as scheduling
from storage.models import Meeting, MeetingSlot
from tests.conftest import OSLO, oslo
from tests.partnering_helpers import RecordingNotifier, people


def test_fallback_ignores_preferred_day(event_db, clock, monkeypatch):
    clock.set(oslo(3, 8, 0))
    bot = Assistant(db=event_db, clock=clock, send_now=True, organisers=frozenset({"org"}))
    bot.add_notifier("console", RecordingNotifier())
    ann, bo = people(bot, "Ann", "Bo")
    req = bot.partnering.create_request(
        requester_id=ann, invitee_id=bo, topic="x", preferred_day=bot.event().dates[1]
    )  # wants day 2 (Fri)
    with event_db.transaction(write=True) as s:  # accepted, not yet placed
        from storage.models import MeetingRequest

        s.get(MeetingRequest, req.id).status = "accepted"
    real_plan = scheduling.plan_all

    def racing_plan(session, **kw):  # the plan's table is taken by a concurrent accept meanwhile
        plan = real_plan(session, **kw)
        rid, slot, table = plan.placed[0]
        plan.placed.append((rid, slot, table))  # a second insert on the same (slot, table) -> IntegrityError
        return plan

    monkeypatch.setattr(scheduling, "plan_all", racing_plan)
    print(bot.schedule_all(external_id="org").text)
    with event_db.transaction() as s:
        start = s.scalar(
            select(MeetingSlot.starts_at).join(Meeting, Meeting.slot_id == MeetingSlot.id).where(Meeting.status == "booked")
        )
    print(start.astimezone(OSLO))
    assert start.astimezone(OSLO).date().isoformat() == "2026-12-04", f"placed on {start.astimezone(OSLO):%a %d %b}"
