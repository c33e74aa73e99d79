"""What each queued message says, rendered when it is sent (from the current state), so a
message never announces something that has since changed without saying so."""

from __future__ import annotations

from sqlalchemy.orm import Session as OrmSession

from bot import meeting_replies
from bot.delivery import Outgoing, Renderer, Skip
from bot.ics import meeting_calendar
from bot.meetings import _current_event, meeting_view, request_view
from bot.notify import Attachment
from storage.models import Delivery, Meeting, MeetingRequest, Participant


def _request(session: OrmSession, delivery: Delivery):
    request = session.get(MeetingRequest, delivery.ref_id)
    return request, _current_event(session)


def request_received(session: OrmSession, delivery: Delivery, _person: Participant) -> Outgoing | Skip:
    request, event = _request(session, delivery)
    if request is None or request.status != "pending":
        return Skip("the request was answered or withdrawn before this went out")
    return Outgoing(meeting_replies.request_received(request_view(request, event)))


def request_nudge(session: OrmSession, delivery: Delivery, _person: Participant) -> Outgoing | Skip:
    request, event = _request(session, delivery)
    if request is None or request.status != "pending":
        return Skip("the request was answered meanwhile")
    return Outgoing(meeting_replies.nudge(request_view(request, event)))


def request_sent(session: OrmSession, delivery: Delivery, _person: Participant) -> Outgoing | Skip:
    request, event = _request(session, delivery)
    if request is None:
        return Skip("the request no longer exists")
    return Outgoing(meeting_replies.request_sent(request_view(request, event)))


def request_declined(session: OrmSession, delivery: Delivery, _person: Participant) -> Outgoing | Skip:
    request, event = _request(session, delivery)
    return Outgoing(meeting_replies.request_declined(request_view(request, event)))


def request_withdrawn(session: OrmSession, delivery: Delivery, _person: Participant) -> Outgoing | Skip:
    request, event = _request(session, delivery)
    return Outgoing(meeting_replies.request_withdrawn(request_view(request, event)))


def no_slot(session: OrmSession, delivery: Delivery, _person: Participant) -> Outgoing | Skip:
    request, event = _request(session, delivery)
    if request is None or request.status != "accepted":
        return Skip("the request is no longer waiting for a slot")
    return Outgoing(meeting_replies.no_slot(request_view(request, event)))


def calendar_file(meeting: Meeting, view, *, event_name: str, stamp, cancelled: bool = False) -> Attachment:
    content = meeting_calendar(
        uid=meeting.ics_uid,
        sequence=meeting.sequence + (1 if cancelled else 0),
        summary=f"Partnering meeting: {view.other.name}"
        + (f" ({view.other.organisation})" if view.other.organisation else ""),
        description=f"{event_name}: 1:1 partnering meeting about {view.topic}",
        location=", ".join(p for p in (view.table, view.room, view.venue, view.address) if p),
        starts_at=view.starts_at,
        ends_at=view.ends_at,
        stamp=stamp,
        cancelled=cancelled,
    )
    return Attachment(filename=f"meeting-{meeting.request_id}.ics", content=content, title="Add to calendar")


def meeting_confirmed(session: OrmSession, delivery: Delivery, person: Participant) -> Outgoing | Skip:
    meeting = session.get(Meeting, delivery.ref_id)
    event = _current_event(session)
    if meeting is None or meeting.status != "booked":
        return Skip("the meeting was cancelled or moved before this went out")
    view = meeting_view(session, meeting, me_id=person.id, event=event)
    attachment = calendar_file(meeting, view, event_name=event.name, stamp=delivery.created_at)
    return Outgoing(meeting_replies.meeting_confirmed(view), (attachment,))


def meeting_cancelled(session: OrmSession, delivery: Delivery, person: Participant) -> Outgoing | Skip:
    meeting = session.get(Meeting, delivery.ref_id)
    event = _current_event(session)
    view = meeting_view(session, meeting, me_id=person.id, event=event)
    attachment = calendar_file(meeting, view, event_name=event.name, stamp=delivery.created_at, cancelled=True)
    return Outgoing(meeting_replies.meeting_cancelled(view), (attachment,))


def meeting_unscheduled(session: OrmSession, delivery: Delivery, person: Participant) -> Outgoing | Skip:
    meeting = session.get(Meeting, delivery.ref_id)
    event = _current_event(session)
    view = meeting_view(session, meeting, me_id=person.id, event=event)
    return Outgoing(meeting_replies.meeting_unscheduled(view, request_view(meeting.request, event)))


RENDERERS: dict[str, Renderer] = {
    "request_received": request_received,
    "request_nudge": request_nudge,
    "request_sent": request_sent,
    "request_declined": request_declined,
    "request_withdrawn": request_withdrawn,
    "no_slot": no_slot,
    "meeting_confirmed": meeting_confirmed,
    "meeting_cancelled": meeting_cancelled,
    "meeting_unscheduled": meeting_unscheduled,
}
