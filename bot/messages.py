"""What each queued message says, rendered when it is sent (from the current state), so a
message never announces something that has since changed without saying so."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import joinedload

from bot import lang
from bot.agenda import changes as agenda_notices
from bot.agenda.catalog import load_session_view
from bot.announcements import replies as announcement_replies
from bot.announcements.broadcasts import announcement_view
from bot.delivery.notifier import Attachment
from bot.delivery.outbox import Outgoing, Renderer, Skip
from bot.partnering import replies as meeting_replies
from bot.partnering.calendar import calendar_file
from bot.partnering.held import held_until
from bot.partnering.rules import Rules
from bot.partnering.views import current_event as _current_event
from bot.partnering.views import meeting_view, request_view
from bot.privacy import replies as privacy_replies
from bot.privacy.data import export as export_data
from bot.privacy.data import export_json
from bot.reminders import replies as reminder_replies
from bot.replies import Reply
from storage.models import (
    AgendaSession,
    Announcement,
    Bookmark,
    Delivery,
    Meeting,
    MeetingRequest,
    MeetingSeat,
    MeetingSlot,
    MeetingTable,
    Participant,
)


def current_event(session: OrmSession):
    """The event, read once per rendering transaction (a batch of a hundred messages reads it once)."""
    if "current_event" not in session.info:
        session.info["current_event"] = _current_event(session)
    return session.info["current_event"]


# Kinds whose ref_id is a meeting: a batch of them is loaded in a few statements (see prefetch).
MEETING_KINDS = frozenset({"meeting_confirmed", "meeting_cancelled", "meeting_moved", "meeting_reminder"})


def prefetch(session: OrmSession, deliveries: list[Delivery]) -> None:
    """Load what a batch of messages will read, in a few statements rather than eight per message: the
    meetings they are about with their requests, both people, tables and slots (then in the session)."""
    ids = {d.ref_id for d in deliveries if d.kind in MEETING_KINDS and d.ref_id is not None}
    if not ids:
        return
    # All of it many-to-one: joined into one statement, one row per meeting.
    meetings = session.scalars(
        select(Meeting).where(Meeting.id.in_(ids)).options(
            joinedload(Meeting.request, innerjoin=True).joinedload(MeetingRequest.requester, innerjoin=True),
            joinedload(Meeting.request, innerjoin=True).joinedload(MeetingRequest.invitee, innerjoin=True),
            joinedload(Meeting.table, innerjoin=True).joinedload(MeetingTable.venue, innerjoin=True),
            joinedload(Meeting.slot, innerjoin=True),
        )
    ).all()  # fmt: skip
    session.info["prefetched"] = meetings  # the session holds loaded rows weakly: keep them for the batch


def _request(session: OrmSession, delivery: Delivery):
    request = session.get(MeetingRequest, delivery.ref_id)
    return request, current_event(session)


def request_received(session: OrmSession, delivery: Delivery, _person: Participant, now: datetime) -> Outgoing | Skip:
    request, event = _request(session, delivery)
    if request is None or request.status != "pending":
        return Skip("the request was answered or withdrawn before this went out")
    return Outgoing(meeting_replies.request_received(request_view(request, event)))


def request_nudge(session: OrmSession, delivery: Delivery, _person: Participant, now: datetime) -> Outgoing | Skip:
    request, event = _request(session, delivery)
    if request is None or request.status != "pending":
        return Skip("the request was answered meanwhile")
    return Outgoing(meeting_replies.nudge(request_view(request, event)))


def request_sent(session: OrmSession, delivery: Delivery, _person: Participant, now: datetime) -> Outgoing | Skip:
    request, event = _request(session, delivery)
    if request is None:
        return Skip("the request no longer exists")
    return Outgoing(meeting_replies.request_sent(request_view(request, event)))


def request_declined(session: OrmSession, delivery: Delivery, _person: Participant, now: datetime) -> Outgoing | Skip:
    request, event = _request(session, delivery)
    return Outgoing(meeting_replies.request_declined(request_view(request, event)))


def request_withdrawn(session: OrmSession, delivery: Delivery, _person: Participant, now: datetime) -> Outgoing | Skip:
    request, event = _request(session, delivery)
    by_requester = delivery.payload.get("by", request.requester_id) == request.requester_id
    return Outgoing(meeting_replies.request_withdrawn(request_view(request, event), by_requester=by_requester))


def no_slot(session: OrmSession, delivery: Delivery, _person: Participant, now: datetime) -> Outgoing | Skip:
    request, event = _request(session, delivery)
    if request is None or request.status != "accepted":
        return Skip("the request is no longer waiting for a slot")
    return Outgoing(meeting_replies.no_slot(request_view(request, event), viewer=_person.id))


def meeting_confirmed(session: OrmSession, delivery: Delivery, person: Participant, now: datetime) -> Outgoing | Skip:
    code = lang.from_locale(person.locale)
    return _booked_meeting(session, delivery, person, lambda view: meeting_replies.meeting_confirmed(view, code=code))


def _booked_meeting(session: OrmSession, delivery: Delivery, person: Participant, say) -> Outgoing | Skip:
    """A booked meeting told to one of its two people (``say`` writes it), with its calendar file."""
    meeting = session.get(Meeting, delivery.ref_id)
    event = current_event(session)
    if meeting is None or meeting.status != "booked":
        return Skip("the meeting was cancelled or moved before this went out")
    view = meeting_view(session, meeting, me_id=person.id, event=event)
    attachment = calendar_file(meeting, view, event_name=event.name, stamp=delivery.created_at)
    return Outgoing(say(view), (attachment,))


def meeting_cancelled(session: OrmSession, delivery: Delivery, person: Participant, now: datetime) -> Outgoing | Skip:
    meeting = session.get(Meeting, delivery.ref_id)
    event = current_event(session)
    view = meeting_view(session, meeting, me_id=person.id, event=event)
    attachment = calendar_file(meeting, view, event_name=event.name, stamp=delivery.created_at, cancelled=True)
    return Outgoing(meeting_replies.meeting_cancelled(view, code=lang.from_locale(person.locale)), (attachment,))


def session_reminder(session: OrmSession, delivery: Delivery, person: Participant, now: datetime) -> Outgoing | Skip:
    row = session.get(AgendaSession, delivery.ref_id)
    if row is None or row.status != "scheduled":
        return Skip("the session was cancelled")
    if row.starts_at <= now:
        return Skip("too late: the session had started")
    if (
        session.scalar(select(Bookmark.id).where(Bookmark.participant_id == person.id, Bookmark.session_id == row.id))
        is None
    ):
        return Skip("the bookmark was removed")
    event = current_event(session)
    return Outgoing(reminder_replies.session_reminder(load_session_view(session, row.id), event.timezone, now))


def meeting_reminder(session: OrmSession, delivery: Delivery, person: Participant, now: datetime) -> Outgoing | Skip:

    meeting = session.get(Meeting, delivery.ref_id)
    if meeting is None or meeting.status != "booked":
        return Skip("the meeting was cancelled or moved")
    if not person.meeting_reminders:
        return Skip("meeting reminders are switched off")
    if meeting.slot.starts_at <= now:
        return Skip("too late: the meeting had started")
    event = current_event(session)
    view = meeting_view(session, meeting, me_id=person.id, event=event)
    return Outgoing(meeting_replies.meeting_reminder(view, now, code=lang.from_locale(person.locale)))


def agenda_changes(session: OrmSession, delivery: Delivery, person: Participant, now: datetime) -> Outgoing | Skip:
    lines = [str(line) for line in delivery.payload.get("lines", [])]
    if not lines:
        return Skip("nothing to tell")
    return Outgoing(agenda_notices.notice(lines))


def daily_digest(session: OrmSession, delivery: Delivery, person: Participant, now: datetime) -> Outgoing | Skip:
    if not person.daily_digest:
        return Skip("the evening summary is switched off")
    event = current_event(session)
    day = date.fromisoformat(delivery.payload.get("day", ""))
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(event.timezone))
    end = start + timedelta(days=1)
    if now >= start:
        return Skip("too late: the day had begun")
    session_ids = session.scalars(
        select(AgendaSession.id)
        .join(Bookmark, Bookmark.session_id == AgendaSession.id)
        .where(Bookmark.participant_id == person.id, AgendaSession.status == "scheduled",
               AgendaSession.starts_at >= start, AgendaSession.starts_at < end)
        .order_by(AgendaSession.starts_at)
    ).all()  # fmt: skip
    meetings = session.scalars(
        select(Meeting)
        .join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
        .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
        .where(MeetingSeat.participant_id == person.id, MeetingSeat.active.is_(True), Meeting.status == "booked",
               MeetingSlot.starts_at >= start, MeetingSlot.starts_at < end)
    ).all()  # fmt: skip
    if not session_ids and not meetings:
        return Skip("nothing planned that day any more")
    number = event.dates.index(day.isoformat()) + 1 if day.isoformat() in event.dates else None
    return Outgoing(
        reminder_replies.digest(
            day,
            number,
            [load_session_view(session, sid) for sid in session_ids],
            [meeting_view(session, m, me_id=person.id, event=event) for m in meetings],
            event.timezone,
        )
    )


def announcement(session: OrmSession, delivery: Delivery, person: Participant, now: datetime) -> Outgoing | Skip:
    row = session.get(Announcement, delivery.ref_id)
    if row is None or row.status == "cancelled":
        return Skip("the announcement was cancelled")
    event = current_event(session)
    reply = announcement_replies.announcement(row.text, event_name=event.name, allow_broadcast=row.allow_broadcast)
    return Outgoing(reply, channel=delivery.payload.get("channel"))


def announcement_progress(session: OrmSession, delivery: Delivery, person: Participant, now: datetime) -> Outgoing | Skip:
    view = announcement_view(session, session.get(Announcement, delivery.ref_id), current_event(session))
    return Outgoing(announcement_replies.progress(view, view.sent + view.failed + view.skipped))


def data_export(session: OrmSession, delivery: Delivery, person: Participant, now: datetime) -> Outgoing | Skip:
    """The person's data as a JSON file, built when it goes out (so it is current)."""
    if person.deleted_at is not None:
        return Skip("the person deleted their data")
    content = export_json(export_data(session, person.id, now=now))
    attachment = Attachment(filename="partnerup-my-data.json", data=content, title="Your data from PartnerUp",
                            mimetype="application/json")  # fmt: skip
    return Outgoing(privacy_replies.download_message(), (attachment,))


def meeting_held(session: OrmSession, delivery: Delivery, person: Participant, now: datetime) -> Outgoing | Skip:
    """Placement "scheduled": the requester hears the request was accepted and when the schedule comes."""
    request, event = _request(session, delivery)
    if request is None or request.status != "accepted":
        return Skip("the request is no longer accepted")
    held = held_until(Rules.of(event), now)
    return Outgoing(meeting_replies.held_for_scheduling(request_view(request, event), held, viewer=person.id))


def schedule_ready(session: OrmSession, delivery: Delivery, person: Participant, now: datetime) -> Outgoing | Skip:
    """After a scheduling run: the person's whole schedule (as it is when sent) in one message, in their language;
    the meetings the run moved are marked."""
    event = current_event(session)
    meetings = session.scalars(
        select(Meeting).join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
        .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
        .where(MeetingSeat.participant_id == person.id, MeetingSeat.active.is_(True), Meeting.status == "booked",
               Meeting.event_id == event.id)
        .order_by(MeetingSlot.starts_at)
    ).all()  # fmt: skip
    if not meetings:
        return Skip("no meetings left in the schedule")
    views = [meeting_view(session, m, me_id=person.id, event=event) for m in meetings]
    files = tuple(
        calendar_file(m, view, event_name=event.name, stamp=delivery.created_at)
        for m, view in zip(meetings, views, strict=True)
    )  # one calendar file per meeting, as "meeting booked" sends
    moved = frozenset(int(i) for i in delivery.payload.get("moved", []) if str(i).isdigit())
    return Outgoing(meeting_replies.schedule_ready(views, code=lang.from_locale(person.locale), moved=moved), files)


def meeting_moved(session: OrmSession, delivery: Delivery, person: Participant, now: datetime) -> Outgoing | Skip:
    """A reoptimising run moved a meeting (instant placement): where it is now, with the updated calendar entry."""
    code = lang.from_locale(person.locale)
    return _booked_meeting(session, delivery, person, lambda view: meeting_replies.meeting_moved(view, code=code))


def agenda_sync_notice(session: OrmSession, delivery: Delivery, _person: Participant, now: datetime) -> Outgoing | Skip:
    """The live agenda source is broken, or works again (bot.agenda_sync): the text was written when it happened."""
    return Outgoing(Reply(text=str(delivery.payload.get("text", ""))[:2000]))


# What each kind of outbox row says. A kind with no renderer is recorded as skipped, never sent blank.
RENDERERS: dict[str, Renderer] = {
    "request_received": request_received,
    "request_nudge": request_nudge,
    "request_sent": request_sent,
    "request_declined": request_declined,
    "request_withdrawn": request_withdrawn,
    "no_slot": no_slot,
    "meeting_confirmed": meeting_confirmed,
    "meeting_held": meeting_held,
    "schedule_ready": schedule_ready,
    "meeting_moved": meeting_moved,
    "meeting_cancelled": meeting_cancelled,
    "session_reminder": session_reminder,
    "meeting_reminder": meeting_reminder,
    "agenda_changes": agenda_changes,
    "daily_digest": daily_digest,
    "announcement": announcement,
    "announcement_progress": announcement_progress,
    "data_export": data_export,
    "agenda_sync_notice": agenda_sync_notice,
}
