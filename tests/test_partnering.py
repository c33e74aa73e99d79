"""Partnering meetings through the assistant's front door: what each person is told, what they
receive by direct message (with calendar files), and what the database holds afterwards.

The default event has four partnering blocks of 30-minute slots: day 1 (Thu 3 Dec) 11:10 and
11:40 in the morning, 15:20, 15:50 and 16:20 in the afternoon, 12 tables at Oslo Cancer Cluster;
day 2 (Fri 4 Dec) 11:00–12:30 and 13:30–15:30, 15 tables at Oslo Science Park. The clock stands
at 10:30 on day 1.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.assistant import NOT_ORGANISER, Assistant
from bot.clock import FixedClock
from bot.errors import UserError
from bot.event_setup import load_event_file
from bot.partnering import calendar
from bot.partnering.participants import ProfileUpdate
from bot.partnering.requests import Limits
from bot.partnering.views import current_event, meeting_view
from bot.replies import ProfileCard, Reply, RequestCard
from handlers.console.render import render
from storage.db import Database
from storage.models import Delivery, Meeting, MeetingRequest, MeetingSeat, MeetingSlot, MeetingTable, Unavailability, Venue
from tests.conftest import OSLO, oslo
from tests.partnering_helpers import RecordingNotifier, calendar_event, give_profile, people, tiny_event_file

UID_1 = "partnerup-meeting-1@days-to-partner-up-2026"
OCC_TABLE_1 = "Table 1, Partnering lounge, Oslo Cancer Cluster Innovation Park"


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


def make_assistant(db: Database, clock: FixedClock, notifier: RecordingNotifier, **kwargs) -> Assistant:
    assistant = Assistant(db=db, clock=clock, send_now=True, organisers=frozenset({"organiser"}), **kwargs)
    assistant.add_notifier("console", notifier)
    return assistant


@pytest.fixture
def bot(event_db: Database, clock: FixedClock, notifier: RecordingNotifier) -> Assistant:
    return make_assistant(event_db, clock, notifier)


def shown(reply: Reply) -> str:
    """Everything a person sees of a reply: its summary text and the drawn message."""
    return reply.text + "\n" + render(reply)[0]


def ask(bot: Assistant, requester: int, invitee: int, topic: str = "TCR platform licensing", **kwargs) -> int:
    """Send a request that must succeed; the request's ID."""
    reply = bot.request_meeting(actor=requester, invitee=invitee, topic=topic, **kwargs)
    cards = [part for part in reply.parts if isinstance(part, RequestCard)]
    assert cards, f"request refused: {reply.text}"
    return cards[0].request.id


def count(db: Database, model) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def request_row(db: Database, request_id: int) -> MeetingRequest:
    with db.transaction() as session:
        return session.get(MeetingRequest, request_id)


def bookings(db: Database) -> list[tuple[int, str, str, str]]:
    """Booked meetings as (request id, local start "Thu 11:10", table, venue), by start and table."""
    with db.transaction() as session:
        rows = session.execute(
            select(Meeting.request_id, MeetingSlot.starts_at, MeetingTable.name, Venue.name)
            .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
            .join(MeetingTable, MeetingTable.id == Meeting.table_id)
            .join(Venue, Venue.id == MeetingTable.venue_id)
            .where(Meeting.status == "booked")
            .order_by(MeetingSlot.starts_at, MeetingTable.position)
        ).all()
    return [(rid, f"{start.astimezone(OSLO):%a %H:%M}", table, venue) for rid, start, table, venue in rows]


def active_seats(db: Database, participant_id: int) -> int:
    with db.transaction() as session:
        return session.scalar(
            select(func.count()).where(MeetingSeat.participant_id == participant_id, MeetingSeat.active.is_(True))
        )


# --- asking and answering ------------------------------------------------------------------


def test_request_reaches_the_invitee_with_answers_and_the_requesters_profile(
    bot: Assistant, notifier: RecordingNotifier
) -> None:
    maya, bjorn = people(bot, "Maya Lund", "Bjørn Hansen")
    give_profile(bot, maya, organisation="Biogenix", role="Head of BD", offers="TCR platform", interests=("oncology",))

    reply = bot.request_meeting(actor=maya, invitee=bjorn, topic="TCR platform licensing", message="Coffee at the booth?")

    assert reply.text == "Your meeting request to Bjørn Hansen is sent. I'll tell you when they answer."
    [received] = notifier.to("Bjørn Hansen")
    assert received.reply.text == "Maya Lund would like a partnering meeting with you: TCR platform licensing"
    assert [(b.label, b.action) for b in received.buttons] == [
        ("Accept", "request_accept"),
        ("Decline", "request_decline"),
        ("Propose another time", "request_propose"),
    ]
    request_id = received.buttons[0].value
    assert {b.value for b in received.buttons} == {request_id}
    [card] = [part for part in received.reply.parts if isinstance(part, ProfileCard)]
    assert card.profile.id == maya and card.profile.organisation == "Biogenix"
    assert "Maya Lund, Head of BD, Biogenix (Biotech)" in received.text
    assert "Offers: TCR platform" in received.text
    assert "Message: Coffee at the booth?" in received.text
    assert notifier.texts("Maya Lund") == ["Your meeting request to Bjørn Hansen is sent. I'll tell you when they answer."]

    row = request_row(bot.db, int(request_id))
    assert (row.requester_id, row.invitee_id, row.status, row.topic) == (maya, bjorn, "pending", "TCR platform licensing")
    assert count(bot.db, Meeting) == 0


def test_accept_books_the_earliest_slot_and_both_get_a_calendar_file(bot: Assistant, notifier: RecordingNotifier) -> None:
    maya, bjorn = people(bot, "Maya Lund", "Bjørn Hansen")
    give_profile(bot, maya, organisation="Biogenix")
    request_id = ask(bot, maya, bjorn)
    notifier.clear()

    reply = bot.accept(actor=bjorn, request_id=request_id)

    assert reply.text == f"Accepted. Your meeting with Maya Lund is on Thu 3 Dec 11:10–11:40 CET at {OCC_TABLE_1}."
    for me, other in (("Maya Lund", "Bjørn Hansen"), ("Bjørn Hansen", "Maya Lund")):
        [message] = notifier.to(me)
        assert message.reply.text == f"Meeting booked with {other}: Thu 3 Dec 11:10–11:40 CET at {OCC_TABLE_1}."
        assert "MEETING BOOKED" in message.text
        [attachment] = message.attachments
        assert attachment.filename == f"meeting-{request_id}.ics"
        calendar, entry = calendar_event(attachment)
        assert str(calendar["METHOD"]) == "PUBLISH"
        assert str(entry["UID"]) == UID_1
        assert entry["SEQUENCE"] == 0
        assert entry.decoded("DTSTART") == oslo(3, 11, 10)
        assert entry.decoded("DTEND") == oslo(3, 11, 40)
        assert "Ullernchausseen 64" in str(entry["LOCATION"])
        assert "TCR platform licensing" in str(entry["DESCRIPTION"])
    _, maya_entry = calendar_event(notifier.to("Bjørn Hansen")[0].attachments[0])
    assert str(maya_entry["SUMMARY"]) == "Partnering meeting: Maya Lund (Biogenix)"

    assert request_row(bot.db, request_id).status == "accepted"
    assert bookings(bot.db) == [(request_id, "Thu 11:10", "Table 1", "Oslo Cancer Cluster Innovation Park")]
    assert active_seats(bot.db, maya) == active_seats(bot.db, bjorn) == 1
    assert "Thu 3 Dec 11:10–11:40 CET  with Maya Lund" in shown(bot.meetings(actor=bjorn))


def test_a_calendar_file_is_written_when_first_read_as_the_meeting_was_when_its_message_was_rendered(
    bot: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is written when it is first read (after a burst's messages have gone out), once, from what its
    message said: not from the meeting as it is by then, nor from rows of a session that has ended."""
    written = []
    real = calendar.meeting_calendar
    monkeypatch.setattr(calendar, "meeting_calendar", lambda **values: written.append(values) or real(**values))
    maya, bjorn = people(bot, "Maya Lund", "Bjørn Hansen")
    request_id = ask(bot, maya, bjorn)
    bot.accept(actor=bjorn, request_id=request_id)
    written.clear()  # the booking's own messages
    with bot.db.transaction() as session:
        meeting = session.scalars(select(Meeting)).one()
        view = meeting_view(session, meeting, me_id=maya, event=current_event(session))
        attachment = calendar.calendar_file(meeting, view, event_name="Days to partner up", stamp=oslo(3, 10, 30))
    assert written == []
    meeting.sequence, meeting.ics_uid = 7, "changed-later"  # the meeting moved on after its message was rendered
    with bot.db.transaction(write=True) as session:
        session.execute(update(Meeting).values(sequence=Meeting.sequence + 3))

    _, entry = calendar_event(attachment)
    calendar_event(attachment)

    assert len(written) == 1
    assert entry["SEQUENCE"] == 0 and str(entry["UID"]) == f"partnerup-meeting-{request_id}@days-to-partner-up-2026"
    assert entry.decoded("DTSTART") == oslo(3, 11, 10)
    assert str(entry["SUMMARY"]) == "Partnering meeting: Bjørn Hansen"


def test_meetings_go_to_the_earliest_slot_both_are_free_at_a_free_table(bot: Assistant) -> None:
    ann, bo, cai, dag = people(bot, "Ann", "Bo", "Cai", "Dag")
    ab, ac, cd = ask(bot, ann, bo), ask(bot, ann, cai), ask(bot, cai, dag)

    assert "Thu 3 Dec 11:10–11:40 CET" in bot.accept(actor=bo, request_id=ab).text
    assert "Thu 3 Dec 11:40–12:10 CET at Table 1," in bot.accept(actor=cai, request_id=ac).text
    assert "Thu 3 Dec 11:10–11:40 CET at Table 2," in bot.accept(actor=dag, request_id=cd).text

    assert [(rid, when, table) for rid, when, table, _ in bookings(bot.db)] == [
        (ab, "Thu 11:10", "Table 1"),
        (cd, "Thu 11:10", "Table 2"),
        (ac, "Thu 11:40", "Table 1"),
    ]


def test_a_preferred_day_is_honoured(bot: Assistant) -> None:
    ann, bo = people(bot, "Ann", "Bo")
    request_id = ask(bot, ann, bo, day="day 2")
    assert request_row(bot.db, request_id).preferred_day == "2026-12-04"

    reply = bot.accept(actor=bo, request_id=request_id)

    assert reply.text == (
        "Accepted. Your meeting with Ann is on Fri 4 Dec 11:00–11:30 CET at Table 1, Partnering area, Oslo Science Park."
    )


def test_an_unavailable_block_is_skipped_and_cannot_be_marked_while_booked_there(bot: Assistant) -> None:
    ann, bo, cai = people(bot, "Ann", "Bo", "Cai")
    morning, afternoon = bot.partnering.blocks()[:2]

    reply = bot.set_unavailable(actor=ann, block_id=morning.id, unavailable=True)
    assert (
        reply.text
        == "You are unavailable for Thu 3 Dec 11:10 1:1 partnering meetings (morning); no meetings will be placed there."
    )
    assert "Thu 3 Dec 15:20–15:50 CET" in bot.accept(actor=bo, request_id=ask(bot, ann, bo)).text

    # Cai meets Bo in the morning now, so Cai cannot step away from the morning any more.
    assert "Thu 3 Dec 11:10–11:40 CET" in bot.accept(actor=bo, request_id=ask(bot, cai, bo)).text
    refused = bot.set_unavailable(actor=cai, block_id=morning.id, unavailable=True)
    assert refused.text == "You have meetings in this block; cancel or reschedule them first."
    with bot.db.transaction() as session:
        assert session.scalars(select(Unavailability.participant_id)).all() == [ann]

    assert bot.set_unavailable(actor=ann, block_id=morning.id, unavailable=False).text == (
        "You are available for Thu 3 Dec 11:10 1:1 partnering meetings (morning) again."
    )
    assert count(bot.db, Unavailability) == 0
    assert afternoon.key == "d1-partnering-afternoon"


def test_no_free_slot_tells_both_and_keeps_the_request_until_another_day_is_proposed(
    bot: Assistant, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    ann, bo, cai = people(bot, "Ann", "Bo", "Cai")
    clock.set(oslo(3, 16, 0))  # only the 16:20 slot is left on day 1
    assert "Thu 3 Dec 16:20–16:50 CET" in bot.accept(actor=cai, request_id=ask(bot, ann, cai)).text
    request_id = ask(bot, ann, bo, topic="Companion diagnostics", day="today")
    notifier.clear()

    reply = bot.accept(actor=bo, request_id=request_id)

    assert reply.text == (
        "Accepted, but there is no slot on Thu 3 Dec in which you and Ann are both free and a table is free (Companion diagnostics)."
    )
    assert [b.label for part in reply.parts if hasattr(part, "buttons") for b in part.buttons] == ["Propose another time"]
    [to_ann] = notifier.to("Ann")
    assert to_ann.reply.text == (
        "Bo accepted your request, but there is no slot on Thu 3 Dec in which you and Bo are both free "
        "and a table is free (Companion diagnostics)."
    )
    [to_bo] = notifier.to("Bo")
    assert to_bo.reply.text == reply.text
    assert request_row(bot.db, request_id).status == "accepted"
    assert [rid for rid, *_ in bookings(bot.db)] == [1]
    assert "Accepted, waiting for a slot".upper() in shown(bot.meetings(actor=ann))
    notifier.clear()

    moved = bot.propose(actor=ann, request_id=request_id, day=date(2026, 12, 4))

    assert moved.text == (
        "Booked for the new time. Your meeting with Bo is on Fri 4 Dec 11:00–11:30 CET at Table 1, Partnering area, Oslo Science Park."
    )
    assert [m.reply.text.split(":")[0] for m in notifier.sent] == ["Meeting booked with Bo", "Meeting booked with Ann"]
    assert request_row(bot.db, request_id).preferred_day == "2026-12-04"
    assert [(rid, when) for rid, when, *_ in bookings(bot.db)] == [(1, "Thu 16:20"), (request_id, "Fri 11:00")]


def test_only_the_invitee_can_accept_or_decline(
    bot: Assistant, notifier: RecordingNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    ann, bo, eve = people(bot, "Ann", "Bo", "Eve")
    request_id = ask(bot, ann, bo)
    notifier.clear()

    with caplog.at_level(logging.WARNING, logger="bot.partnering"):
        accepted = bot.accept(actor=eve, request_id=request_id)
        declined = bot.decline(actor=eve, request_id=request_id, reason="mine now")
        by_requester = bot.accept(actor=ann, request_id=request_id)

    assert accepted.text == "Only the person who was asked can accept this request."
    assert declined.text == "Only the person who was asked can decline this request."
    assert by_requester.text == "Only the person who was asked can accept this request."
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"participant {eve} tried to accept request {request_id}, which is not theirs" in warnings
    assert f"participant {eve} tried to decline request {request_id}, which is not theirs" in warnings
    assert request_row(bot.db, request_id).status == "pending"
    assert count(bot.db, Meeting) == 0
    assert notifier.sent == []


def test_accepting_twice_says_it_is_already_accepted(bot: Assistant, notifier: RecordingNotifier) -> None:
    ann, bo = people(bot, "Ann", "Bo")
    request_id = ask(bot, ann, bo)
    bot.accept(actor=bo, request_id=request_id)
    notifier.clear()

    again = bot.accept(actor=bo, request_id=request_id)

    assert again.text == "You have already accepted this request; see /meetings."
    assert count(bot.db, Meeting) == 1
    assert notifier.sent == []


def test_decline_with_a_reason_tells_the_requester_why(bot: Assistant, notifier: RecordingNotifier) -> None:
    ann, bo = people(bot, "Ann", "Bo")
    request_id = ask(bot, ann, bo, topic="Seed funding")
    notifier.clear()

    reply = bot.decline(actor=bo, request_id=request_id, reason="We only invest from series A.")

    assert reply.text == "Declined Ann's request. I've let them know."
    [message] = notifier.to("Ann")
    assert message.reply.text == "Bo declined your meeting request (Seed funding)."
    assert "(Their reason: We only invest from series A.)" in message.text
    assert notifier.to("Bo") == []
    row = request_row(bot.db, request_id)
    assert (row.status, row.decline_reason) == ("declined", "We only invest from series A.")
    assert bot.accept(actor=bo, request_id=request_id).text == "This request can't be accepted any more: it was declined."
    assert bot.decline(actor=bo, request_id=request_id).text == "You have already declined this request."


def test_withdraw_tells_the_invitee_and_frees_the_pair_for_a_new_request(
    bot: Assistant, notifier: RecordingNotifier
) -> None:
    ann, bo = people(bot, "Ann", "Bo")
    request_id = ask(bot, ann, bo, topic="Seed funding")
    notifier.clear()

    assert bot.withdraw(actor=bo, request_id=request_id).text == "Only the person who sent this request can withdraw it."
    reply = bot.withdraw(actor=ann, request_id=request_id)

    assert reply.text == "Withdrawn: the meeting request with Bo (Seed funding). I've let them know."
    assert notifier.texts("Bo") == ["Ann withdrew the meeting request (Seed funding); it will not be scheduled."]
    assert request_row(bot.db, request_id).status == "withdrawn"
    assert bot.accept(actor=bo, request_id=request_id).text == "This request can't be accepted any more: it was withdrawn."
    ask(bot, ann, bo, topic="Series A")  # no longer a duplicate


def test_cancel_tells_the_other_frees_the_seats_and_sends_a_cancelling_calendar_file(
    bot: Assistant, notifier: RecordingNotifier
) -> None:
    ann, bo, eve = people(bot, "Ann", "Bo", "Eve")
    request_id = ask(bot, ann, bo, topic="Seed funding")
    bot.accept(actor=bo, request_id=request_id)
    [meeting] = bot.partnering.overview(participant_id=ann).upcoming
    notifier.clear()

    assert bot.cancel(actor=eve, meeting_id=meeting.id).text == "Only the two people in this meeting can cancel it."
    reply = bot.cancel(actor=ann, meeting_id=meeting.id)

    assert reply.text == "Cancelled your meeting with Bo on Thu 3 Dec 11:10–11:40 CET. I've told them."
    assert notifier.to("Ann") == []
    [message] = notifier.to("Bo")
    assert message.reply.text == (
        "Ann cancelled your meeting on Thu 3 Dec 11:10–11:40 CET (Seed funding). The slot is free again."
    )
    calendar, entry = calendar_event(message.attachments[0])
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(entry["STATUS"]) == "CANCELLED"
    assert str(entry["UID"]) == UID_1
    assert entry["SEQUENCE"] == 1
    assert request_row(bot.db, request_id).status == "cancelled"
    assert active_seats(bot.db, ann) == active_seats(bot.db, bo) == 0
    assert bot.cancel(actor=bo, meeting_id=meeting.id).text == "This meeting is already cancelled."

    # Ann's seat and the table are free again: her next meeting takes the same slot and table.
    again = bot.accept(actor=eve, request_id=ask(bot, ann, eve))
    assert again.text == f"Accepted. Your meeting with Ann is on Thu 3 Dec 11:10–11:40 CET at {OCC_TABLE_1}."
    assert [(when, table) for _, when, table, _ in bookings(bot.db)] == [("Thu 11:10", "Table 1")]


def test_reschedule_then_propose_keeps_the_calendar_uid_with_a_higher_sequence(
    bot: Assistant, notifier: RecordingNotifier
) -> None:
    ann, bo = people(bot, "Ann", "Bo")
    request_id = ask(bot, ann, bo)
    bot.accept(actor=bo, request_id=request_id)
    [meeting] = bot.partnering.overview(participant_id=bo).upcoming
    notifier.clear()

    reply = bot.reschedule(actor=bo, meeting_id=meeting.id)

    # Nothing moves until a new time is picked: the meeting keeps its place, nobody is told anything yet.
    assert reply.text == "Your meeting with Ann stays on Thu 3 Dec 11:10–11:40 CET until you pick another time:"
    assert "Fri 4 Dec (first free)" in shown(reply)
    assert notifier.texts("Ann") == []
    assert request_row(bot.db, request_id).status == "accepted"
    assert active_seats(bot.db, ann) == 1
    afternoon = bot.partnering.blocks()[1]
    notifier.clear()

    moved = bot.propose(actor=bo, request_id=request_id, block_id=afternoon.id)

    assert "Thu 3 Dec 15:20–15:50 CET" in moved.text
    for name in ("Ann", "Bo"):
        [message] = notifier.to(name)
        assert "Thu 3 Dec 15:20–15:50 CET" in message.reply.text
        _, entry = calendar_event(message.attachments[0])
        assert str(entry["UID"]) == UID_1
        assert entry["SEQUENCE"] == 1
        assert entry.decoded("DTSTART") == oslo(3, 15, 20)
    with bot.db.transaction() as session:
        rows = session.execute(select(Meeting.status, Meeting.sequence, Meeting.ics_uid).order_by(Meeting.id)).all()
    assert rows == [("cancelled", 0, UID_1), ("booked", 1, UID_1)]


# --- refusals --------------------------------------------------------------------------------


def test_requests_to_oneself_or_to_a_bot_are_refused(bot: Assistant) -> None:
    ann, bo = people(bot, "Ann", "Bo")
    [helper] = people(bot, "Helper Bot", is_bot=True)

    assert bot.request_meeting(actor=ann, invitee=ann, topic="Me").text == "You can't request a meeting with yourself."
    assert bot.request_meeting(actor=ann, invitee=helper, topic="Hi").text == "Bots don't take meetings; pick a person."
    assert bot.request_meeting(actor=ann, invitee=bo, topic="  <@U123> ").text.startswith("Please give a topic")
    assert count(bot.db, MeetingRequest) == 0


def test_a_second_pending_request_points_to_the_first_and_a_reverse_one_to_theirs(bot: Assistant) -> None:
    ann, bo = people(bot, "Ann", "Bo")
    first = ask(bot, ann, bo, topic="Seed funding")

    again = bot.request_meeting(actor=ann, invitee=bo, topic="Series A")
    reverse = bot.request_meeting(actor=bo, invitee=ann, topic="Seed funding")

    assert again.text == (
        f"You already asked Bo for a meeting ('Seed funding', request #{first}); they haven't answered yet. See /meetings."
    )
    assert reverse.text == f"Ann already asked you for a meeting (request #{first}); accept theirs in /meetings instead."
    assert count(bot.db, MeetingRequest) == 1


def test_the_daily_request_limit(event_db: Database, clock: FixedClock, notifier: RecordingNotifier) -> None:
    bot = make_assistant(event_db, clock, notifier, limits=Limits(requests_per_day=2))
    ann, bo, cai, dag = people(bot, "Ann", "Bo", "Cai", "Dag")
    ask(bot, ann, bo)
    ask(bot, ann, cai)

    refused = bot.request_meeting(actor=ann, invitee=dag, topic="Seed funding")

    assert refused.text == (
        "You have sent 2 requests in the last 24 hours, the most allowed. Please wait for some answers first."
    )
    assert count(bot.db, MeetingRequest) == 2
    ask(bot, bo, dag)  # the limit is per person
    clock.advance(hours=24, minutes=1)
    ask(bot, ann, dag)


def test_a_day_without_partnering_or_whose_blocks_are_over_is_refused(bot: Assistant, clock: FixedClock) -> None:
    ann, bo = people(bot, "Ann", "Bo")

    assert bot.request_meeting(actor=ann, invitee=bo, topic="Seed", day="day 3").text == (
        "There is no day 3: Days to partner up has day 1 (Thu 3 Dec) and day 2 (Fri 4 Dec)."
    )
    with pytest.raises(UserError, match=r"no partnering meetings on Sat 5 Dec. Partnering days: Thu 3 Dec, Fri 4 Dec"):
        bot.partnering.create_request(requester_id=ann, invitee_id=bo, topic="Seed", preferred_day=date(2026, 12, 5))
    clock.set(oslo(3, 17, 0))
    assert bot.request_meeting(actor=ann, invitee=bo, topic="Seed", day="day 1").text == (
        "The partnering slots on Thu 3 Dec have all started; pick a later day."
    )
    assert count(bot.db, MeetingRequest) == 0
    ask(bot, ann, bo, topic="Seed", day="day 2")


def test_a_day_whose_last_slot_has_started_is_refused(bot: Assistant, clock: FixedClock) -> None:
    ann, bo = people(bot, "Ann", "Bo")
    clock.set(oslo(3, 16, 25))  # the 16:20 slot, day 1's last, has begun; the block runs to 16:50

    reply = bot.request_meeting(actor=ann, invitee=bo, topic="Seed", day="today")

    assert reply.text == "The partnering slots on Thu 3 Dec have all started; pick a later day."


def test_a_10_kb_topic_is_refused_and_nothing_is_written(bot: Assistant, notifier: RecordingNotifier) -> None:
    ann, bo = people(bot, "Ann", "Bo")
    before = {model.__name__: count(bot.db, model) for model in (MeetingRequest, Delivery, Meeting)}

    reply = bot.request_meeting(actor=ann, invitee=bo, topic="licensing " * 1024)

    assert reply.text == "Please keep the topic under 200 characters; use the message for details."
    assert {model.__name__: count(bot.db, model) for model in (MeetingRequest, Delivery, Meeting)} == before
    assert notifier.sent == []


def test_a_long_one_paragraph_message_under_the_limit_is_kept_whole(bot: Assistant) -> None:
    ann, bo = people(bot, "Ann", "Bo")
    message = " ".join(f"point {n} about our TCR platform and its licensing terms." for n in range(25))
    assert 1000 < len(message) < 1500

    request_id = ask(bot, ann, bo, message=message)

    assert request_row(bot.db, request_id).message == message


def test_a_long_one_paragraph_offer_under_the_limit_is_kept_whole(bot: Assistant) -> None:
    [ann] = people(bot, "Ann")
    offers = " ".join(f"service {n}: assay development and validation," for n in range(18))
    assert 500 < len(offers) < 1000

    profile = bot.participants.update_profile(
        ann, ProfileUpdate(organisation="Biogenix", offers=offers), now=bot.clock.now()
    )

    assert profile.offers == offers


def test_slack_markup_in_topics_never_appears_raw(bot: Assistant, notifier: RecordingNotifier) -> None:
    ann, bo = people(bot, "Ann", "Bo")
    markup = "<!channel> TCR <@U0123|maya> licensing <https://evil.example|click> <!subteam^S1>"

    replies = [bot.request_meeting(actor=ann, invitee=bo, topic=markup, message=f"Hi {markup}")]
    request_id = int(notifier.to("Bo")[0].buttons[0].value)
    replies.append(bot.accept(actor=bo, request_id=request_id))
    [meeting] = bot.partnering.overview(participant_id=ann).upcoming
    replies.append(bot.meetings(actor=ann))
    replies.append(bot.reschedule(actor=ann, meeting_id=meeting.id))
    replies.append(bot.propose(actor=bo, request_id=request_id, day=date(2026, 12, 4)))
    replies.append(bot.meetings(actor=bo))
    [moved] = bot.partnering.overview(participant_id=ann).upcoming
    replies.append(bot.cancel(actor=bo, meeting_id=moved.id))

    assert request_row(bot.db, request_id).topic == "TCR licensing"
    texts = [shown(reply) for reply in replies] + [message.text for message in notifier.sent]
    texts += [a.content.decode() for message in notifier.sent for a in message.attachments]
    assert len(notifier.sent) >= 7
    for text in texts:
        for raw in ("<!", "<@", "<http", "evil.example", "subteam^"):
            assert raw not in text, text
    assert any("TCR licensing" in text for text in texts)


# --- nudges and organisers -------------------------------------------------------------------


def test_an_unanswered_request_is_nudged_once(bot: Assistant, clock: FixedClock, notifier: RecordingNotifier) -> None:
    ann, bo, cai = people(bot, "Ann", "Bo", "Cai")
    waiting = ask(bot, ann, bo, topic="Seed funding")
    bot.accept(actor=cai, request_id=ask(bot, ann, cai))  # answered: never nudged
    clock.advance(hours=23)
    assert bot.partnering.queue_nudges() == 0
    notifier.clear()

    clock.advance(hours=1, minutes=1)
    assert bot.partnering.queue_nudges() == 1
    bot.sent()

    [nudge] = notifier.sent
    assert nudge.name == "Bo"
    assert nudge.reply.text == "Reminder: Ann is waiting for your answer to a meeting request (Seed funding)."
    assert [b.value for b in nudge.buttons] == [str(waiting)] * 3
    assert request_row(bot.db, waiting).nudged_at == clock.now()

    clock.advance(hours=30)
    assert bot.partnering.queue_nudges() == 0
    bot.sent()
    assert len(notifier.sent) == 1


def test_schedule_all_places_the_oldest_first_and_says_why_the_rest_could_not_be(
    db: Database, clock: FixedClock, notifier: RecordingNotifier, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    load_event_file(db, tiny_event_file(tmp_path, tables=1, slots=2), clock=clock)
    bot = make_assistant(db, clock, notifier)
    ann, bo, cai, dag, eli, fay, gus, hal = people(bot, "Ann", "Bo", "Cai", "Dag", "Eli", "Fay", "Gus", "Hal")
    [block] = bot.partnering.blocks()
    for requester in (ann, cai, eli, gus):  # away at first: accepting finds no slot
        bot.set_unavailable(actor=requester, block_id=block.id, unavailable=True)
    pairs = [(ann, bo), (cai, dag), (eli, fay), (gus, hal)]
    request_ids = []
    for requester, invitee in pairs:
        request_ids.append(ask(bot, requester, invitee))
        clock.advance(minutes=1)
    for (_, invitee), request_id in reversed(list(zip(pairs, request_ids, strict=True))):
        assert bot.accept(actor=invitee, request_id=request_id).text.startswith("Accepted, but there is no slot")
    for requester in (ann, cai, eli):  # Gus stays away
        bot.set_unavailable(actor=requester, block_id=block.id, unavailable=False)
    notifier.clear()

    with caplog.at_level(logging.WARNING, logger="bot.assistant"):
        assert bot.schedule_all(external_id="U-not-an-organiser").text == NOT_ORGANISER
    assert "non-organiser U-not-an-organiser tried an organiser command" in caplog.text
    assert count(db, Meeting) == 0
    reply = bot.schedule_all(external_id="organiser")

    r1, r2, r3, r4 = request_ids
    assert reply.text == "Scheduled 2 meeting(s); 2 could not be placed."
    drawn = shown(reply)
    assert f"#{r3} Eli → Fay: every table is taken when both are free" in drawn
    assert f"#{r4} Gus → Hal: no slot left in which both are free" in drawn
    assert [(rid, when, table) for rid, when, table, _ in bookings(db)] == [
        (r1, "Thu 11:00", "Table 1"),
        (r2, "Thu 11:30", "Table 1"),
    ]
    assert sorted(m.name for m in notifier.sent) == ["Ann", "Bo", "Cai", "Dag"]
    assert all(m.reply.text.startswith("Meeting booked with") and m.attachments for m in notifier.sent)
    assert bot.schedule_all(external_id="organiser").text == "Scheduled 0 meeting(s); 2 could not be placed."


def test_export_csv_lists_both_people_their_organisations_table_and_status(bot: Assistant) -> None:
    evil, bo, cai = people(bot, '=HYPERLINK("http://x")', "Bo", "Cai")
    give_profile(bot, evil, organisation="@Risk AS")
    give_profile(bot, bo, organisation="Biogenix", org_type="biotech")
    give_profile(bot, cai, organisation="-Minus Pharma", org_type="pharma")
    bot.accept(actor=bo, request_id=ask(bot, evil, bo, topic="Seed funding"))
    bot.accept(actor=cai, request_id=ask(bot, bo, cai, topic="+1 assay"))
    [with_cai] = [m for m in bot.partnering.overview(participant_id=cai).upcoming]
    bot.cancel(actor=cai, meeting_id=with_cai.id)

    reply, csv_text = bot.export_meetings(external_id="organiser")

    assert reply.text == "All 2 meeting(s) as CSV."
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    first, second = rows
    assert first["requester"] == '\'=HYPERLINK("http://x")'
    assert first["requester organisation"] == "'@Risk AS"
    assert (first["invitee"], first["invitee organisation"]) == ("Bo", "Biogenix")
    assert (first["table"], first["venue"], first["status"]) == ("Table 1", "Oslo Cancer Cluster Innovation Park", "booked")
    assert first["start"] == "2026-12-03T11:10:00+01:00"
    assert (second["requester"], second["invitee organisation"], second["topic"], second["status"]) == (
        "Bo",
        "'-Minus Pharma",
        "'+1 assay",
        "cancelled",
    )
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for key, cell in row.items() if key != "start")
    assert bot.export_meetings(external_id="someone")[1] is None


# --- finding partners -------------------------------------------------------------------------


@pytest.fixture
def directory(bot: Assistant) -> dict[str, int]:
    maya, ola, kari, per = people(bot, "Maya Lund", "Ola Nordmann", "Kari Berg", "Per Baker")
    give_profile(
        bot, maya, organisation="Biogenix", offers="TCR platform licensing", interests=("immunotherapy", "cell therapy")
    )
    give_profile(
        bot,
        ola,
        organisation="Nordic Diagnostics",
        org_type="startup",
        offers="companion diagnostics assays",
        seeks="pharma partner for clinical validation",
    )
    give_profile(
        bot,
        kari,
        organisation="Roche",
        org_type="pharma",
        offers="clinical validation studies",
        seeks="companion diagnostics",
    )
    give_profile(bot, per, organisation="Oslo Bakery", org_type="other", offers="catering and coffee")
    people(bot, "Helper Bot", is_bot=True)
    return {"maya": maya, "ola": ola, "kari": kari, "per": per}


def names(reply: Reply) -> list[str]:
    return [part.profile.name for part in reply.parts if isinstance(part, ProfileCard)]


def test_partner_search_tolerates_typos_in_organisations_and_interests(bot: Assistant, directory: dict[str, int]) -> None:
    kari = directory["kari"]

    assert names(bot.partners(actor=kari, text="biogenx")) == ["Maya Lund"]
    assert names(bot.partners(actor=kari, text="immunoterapy")) == ["Maya Lund"]
    assert names(bot.partners(actor=kari, text="nordic diagnostcs")) == ["Ola Nordmann"]
    assert names(bot.partners(actor=kari, text="roche")) == []  # never oneself
    assert bot.partners(actor=kari, text="quantum astrophysics").text.startswith("Nobody matches that search.")
    assert names(bot.partners(actor=kari, text="helper bot")) == []  # bots are not partners
    reply = bot.partners(actor=kari, text="biogenix")
    assert [b.value for part in reply.parts if hasattr(part, "buttons") for b in part.buttons] == [str(directory["maya"])]


def test_suggestions_pair_what_i_seek_with_what_others_offer(bot: Assistant, directory: dict[str, int]) -> None:
    reply = bot.partners(actor=directory["kari"], text="")

    assert reply.text == "Suggested partners"
    suggested = names(reply)
    assert suggested[0] == "Ola Nordmann"  # offers the diagnostics Kari seeks, seeks the validation she offers
    assert "Per Baker" not in suggested and "Kari Berg" not in suggested
    [newcomer] = people(bot, "New Comer")
    assert bot.partners(actor=newcomer, text="").text == (
        "Fill in what you offer and seek with /profile, and I'll suggest partners."
    )


def test_a_profile_edit_is_searchable_right_away(bot: Assistant, clock: FixedClock, directory: dict[str, int]) -> None:
    kari, per = directory["kari"], directory["per"]
    assert names(bot.partners(actor=kari, text="radiopharma")) == []
    assert names(bot.partners(actor=kari, text="bakery")) == ["Per Baker"]
    clock.advance(minutes=1)
    [nina] = people(bot, "Nina Nilsen")  # joins later: now the newest row the directory has seen
    assert names(bot.partners(actor=kari, text="nina nilsen")) == ["Nina Nilsen"]
    clock.advance(minutes=5)

    saved = bot.save_profile(actor=per, update=ProfileUpdate(organisation="Nordic Radiopharma", org_type="startup"))

    assert "Profile saved." in shown(saved)
    assert names(bot.partners(actor=kari, text="radiopharma")) == ["Per Baker"]
    assert names(bot.partners(actor=kari, text="bakery")) == []
    assert nina not in directory.values()


def test_a_newcomer_who_searched_first_is_found_after_filling_in_their_profile(
    bot: Assistant, clock: FixedClock, directory: dict[str, int]
) -> None:
    kari = directory["kari"]
    clock.advance(minutes=1)
    [nina] = people(bot, "Nina Nilsen")
    assert bot.partners(actor=nina, text="").text.startswith("Fill in what you offer and seek")
    clock.advance(minutes=2)

    saved = bot.save_profile(actor=nina, update=ProfileUpdate(organisation="Isotope Labs", offers="radiotracers"))

    assert "Profile saved." in shown(saved)
    assert names(bot.partners(actor=kari, text="isotope labs")) == ["Nina Nilsen"]


def test_an_edit_committed_after_a_newer_one_is_still_found(
    bot: Assistant, clock: FixedClock, directory: dict[str, int]
) -> None:
    kari, per = directory["kari"], directory["per"]
    stamped = clock.now() + timedelta(minutes=1)  # Per's save took its time (or ran on a dyno whose clock lags)
    clock.advance(minutes=2)
    give_profile(bot, directory["ola"], organisation="Nordic Diagnostics AS", org_type="startup")
    assert names(bot.partners(actor=kari, text="diagnostics as")) == ["Ola Nordmann"]  # index caught up to now

    bot.participants.update_profile(per, ProfileUpdate(organisation="Nordic Radiopharma"), now=stamped)

    assert names(bot.partners(actor=kari, text="radiopharma")) == ["Per Baker"]


# --- sending ----------------------------------------------------------------------------------


def test_a_message_that_cannot_be_sent_never_undoes_the_change(
    bot: Assistant, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    ann, bo, cai = people(bot, "Ann", "Bo", "Cai")
    notifier.fail_for("Bo", permanent=True)
    notifier.fail_for("Cai", permanent=False)

    gone = ask(bot, ann, bo)
    later = ask(bot, ann, cai)

    assert request_row(bot.db, gone).status == request_row(bot.db, later).status == "pending"
    assert notifier.to("Bo") == notifier.to("Cai") == []
    with bot.db.transaction() as session:
        rows = {
            d.ref_id: (d.status, d.attempts, d.detail)
            for d in session.scalars(select(Delivery).where(Delivery.kind == "request_received"))
        }
        retry_at = session.scalar(
            select(Delivery.due_at).where(Delivery.kind == "request_received", Delivery.ref_id == later)
        )
    assert rows == {gone: ("failed", 1, "cannot reach Bo"), later: ("pending", 1, "cannot reach Cai")}
    assert retry_at > clock.now()

    notifier.recover("Cai")
    bot.sent()
    assert notifier.to("Cai") == []  # not due yet
    clock.advance(minutes=1)
    bot.sent()
    assert notifier.texts("Cai") == ["Ann would like a partnering meeting with you: TCR platform licensing"]
    bot.sent()
    assert len(notifier.to("Cai")) == 1
