"""Replies for partnering: profiles, search results, requests, meetings and the /meetings overview."""

from __future__ import annotations

from datetime import date, datetime

from bot import lang, timefmt
from bot.partnering.participants import Profile
from bot.partnering.views import AcceptResult, BlockView, MeetingView, Overview, RequestView, ScheduleAllReport
from bot.replies import Actions, Button, Divider, Heading, MeetingCard, Note, Paragraph, ProfileCard, Reply, RequestCard

REQUEST_MEETING = "meeting_request_open"
ACCEPT = "request_accept"
DECLINE = "request_decline"
PROPOSE = "request_propose"
WITHDRAW = "request_withdraw"
CANCEL = "meeting_cancel"
RESCHEDULE = "meeting_reschedule"
BLOCK_OFF = "block_unavailable"
BLOCK_ON = "block_available"
PROPOSE_DAY = "request_propose_day"


def when(meeting: MeetingView, code: str = lang.DEFAULT) -> str:
    day = timefmt.local(meeting.starts_at, meeting.timezone).date()
    return f"{lang.short_day(day, code)} {timefmt.span(meeting.starts_at, meeting.ends_at, meeting.timezone)}"


def place(meeting: MeetingView) -> str:
    return ", ".join(p for p in (meeting.table, meeting.room, meeting.venue) if p)


def profile_reply(profile: Profile, *, mine: bool, code: str = lang.DEFAULT) -> Reply:
    reply = Reply(text=lang.say(code, "profile_title", name=profile.name), lang=code).add(ProfileCard(profile))
    if mine and not profile.complete:
        reply.add(Note(lang.say(code, "profile_incomplete")))
    return reply


def partners_reply(people: list[Profile], *, suggestions: bool, me_complete: bool, code: str = lang.DEFAULT) -> Reply:
    if not people:
        if suggestions and not me_complete:
            text = lang.say(code, "partners_fill_profile")
        elif suggestions:
            text = lang.say(code, "partners_no_suggestions")
        else:
            text = lang.say(code, "partners_nobody")
        return Reply(text=text, lang=code).add(Paragraph(text))
    if suggestions:
        title = lang.say(code, "partners_suggested")
    else:
        title = lang.say(code, "partners_found_one" if len(people) == 1 else "partners_found", count=len(people))
    reply = Reply(text=title, lang=code).add(Heading(title))
    if suggestions:
        reply.add(Note(lang.say(code, "partners_suggested_why")))
    ask = lang.say(code, "request_meeting")
    for person in people:
        reply.add(ProfileCard(person), Actions((Button(ask, REQUEST_MEETING, str(person.id), "primary"),)))
    return reply


def request_received(request: RequestView) -> Reply:
    """What the invitee gets, in their language: who asks, why, their profile, and the three answers."""
    code = lang.of_person(request.invitee)
    text = lang.say(code, "request_text", name=request.requester.name, topic=request.topic)
    reply = Reply(text=text, lang=code).add(Heading(lang.say(code, "request_title")), RequestCard(request, "invitee"))
    reply.add(ProfileCard(request.requester))
    reply.add(request_buttons(request, code))
    return reply


def request_buttons(request: RequestView, code: str = lang.DEFAULT) -> Actions:
    return Actions(
        (
            Button(lang.say(code, "button_accept"), ACCEPT, str(request.id), "primary"),
            Button(lang.say(code, "button_decline"), DECLINE, str(request.id), "danger"),
            Button(lang.say(code, "button_propose"), PROPOSE, str(request.id)),
        )
    )


def request_sent(request: RequestView) -> Reply:
    code = lang.of_person(request.requester)
    text = lang.say(code, "request_sent", name=request.invitee.name)
    return Reply(text=text, lang=code).add(Paragraph(text), RequestCard(request, "requester"))


def request_declined(request: RequestView) -> Reply:
    code = lang.of_person(request.requester)
    text = lang.say(code, "request_declined", name=request.invitee.name, topic=request.topic)
    reply = Reply(text=text, lang=code).add(Paragraph(text))
    if request.decline_reason:
        reply.add(Note(lang.say(code, "declined_reason", reason=request.decline_reason)))
    reply.add(Note(lang.say(code, "find_others")))
    return reply


def request_withdrawn(request: RequestView, *, by_requester: bool = True) -> Reply:
    """Told to the other person, in their language."""
    who, reader = (request.requester, request.invitee) if by_requester else (request.invitee, request.requester)
    code = lang.of_person(reader)
    text = lang.say(code, "withdrawn_text", name=who.name, topic=request.topic)
    return Reply(text=text, lang=code).add(Paragraph(text))


def nudge(request: RequestView) -> Reply:
    code = lang.of_person(request.invitee)
    text = lang.say(code, "nudge_text", name=request.requester.name, topic=request.topic)
    return Reply(text=text, lang=code).add(Paragraph(text), RequestCard(request, "invitee"), request_buttons(request, code))


def meeting_confirmed(meeting: MeetingView, *, code: str = lang.DEFAULT) -> Reply:
    text = lang.say(code, "booked_text", name=meeting.other.name, when=when(meeting, code), place=place(meeting))
    reply = Reply(text=text, lang=code).add(Heading(lang.say(code, "booked_title")), MeetingCard(meeting),
                                            ProfileCard(meeting.other))  # fmt: skip
    reply.add(meeting_buttons(meeting, code))
    reply.add(Note(lang.say(code, "booked_file")))
    return reply


def meeting_buttons(meeting: MeetingView, code: str = lang.DEFAULT) -> Actions:
    return Actions(
        (
            Button(lang.say(code, "button_reschedule"), RESCHEDULE, str(meeting.id)),
            Button(lang.say(code, "button_cancel_meeting"), CANCEL, str(meeting.id), "danger"),
        )
    )


def meeting_cancelled(meeting: MeetingView, *, by_other: bool = True, code: str = lang.DEFAULT) -> Reply:
    key = "cancelled_by_other" if by_other else "cancelled_by_you"
    text = lang.say(code, key, name=meeting.other.name, when=when(meeting, code), topic=meeting.topic)
    return Reply(text=text, lang=code).add(Paragraph(text))


def no_slot(request: RequestView, *, viewer: int | None = None) -> Reply:
    """Told to both when an accepted meeting finds no common free slot; names the other person."""
    asked = viewer == request.requester.id
    other = request.invitee if asked else request.requester
    code = lang.of_person(request.requester if asked else request.invitee)
    day = ""
    if request.preferred_day:
        day = lang.say(code, "no_slot_day", day=lang.short_day(date.fromisoformat(request.preferred_day), code))
    text = lang.say(code, "no_slot_requester" if asked else "no_slot_invitee", name=request.invitee.name, day=day,
                    other=other.name, topic=request.topic)  # fmt: skip
    reply = Reply(text=text, lang=code).add(Paragraph(text))
    reply.add(Note(lang.say(code, "no_slot_note")))
    reply.add(Actions((Button(lang.say(code, "button_propose"), PROPOSE, str(request.id)),)))
    return reply


def held_words(held_until: str, code: str = lang.DEFAULT) -> str:
    """When a held request gets its time, in words: ``held_until`` is the next run's local ISO time, or ""."""
    if not held_until:
        return lang.say(code, "held_by_organisers")
    at = datetime.fromisoformat(held_until)
    return lang.say(code, "held_at_run", day=lang.short_day(at.date(), code), at=lang.at_time(f"{at:%H:%M}", code))


def held_for_scheduling(request: RequestView, held_until: str, *, viewer: int | None = None) -> Reply:
    """Placement "scheduled": accepted requests wait for a scheduling run; told to both people, each in their
    own language."""
    if viewer == request.requester.id:
        code = lang.of_person(request.requester)
        lead = lang.say(code, "held_requester", name=request.invitee.name, topic=request.topic)
    else:
        code = lang.of_person(request.invitee)
        lead = lang.say(code, "held_invitee", topic=request.topic)
    text = f"{lead} {lang.say(code, 'held_body', when=held_words(held_until, code))}"
    return Reply(text=text, lang=code).add(Paragraph(text))


def schedule_ready(meetings: list[MeetingView], *, code: str = lang.DEFAULT, moved: frozenset[int] = frozenset()) -> Reply:
    """After a scheduling run: one person's whole schedule in one message; ``moved``: the meetings (IDs) a
    reoptimising run moved, marked so the person sees which."""
    text = lang.say(code, "schedule_text", count=len(meetings))
    reply = Reply(text=text, lang=code).add(Heading(lang.say(code, "schedule_title")), Paragraph(text))
    shown = meetings[:40]
    if moved:
        reply.add(Paragraph(lang.say(code, "schedule_moved", count=sum(m.id in moved for m in meetings))))
    for meeting in shown:
        reply.add(MeetingCard(meeting))
        if meeting.id in moved:
            reply.add(Note(lang.say(code, "schedule_moved_mark")))
    reply.add(Note(lang.say(code, "schedule_files")))
    return reply


def meeting_moved(meeting: MeetingView, *, code: str = lang.DEFAULT) -> Reply:
    """A reoptimising run moved a confirmed meeting (instant placement; a scheduled event sends the schedule)."""
    text = lang.say(code, "moved_text", name=meeting.other.name, when=when(meeting, code), place=place(meeting))
    reply = Reply(text=text, lang=code).add(Heading(lang.say(code, "moved_title")), Paragraph(text), MeetingCard(meeting))
    reply.add(meeting_buttons(meeting, code))
    return reply.add(Note(lang.say(code, "moved_file")))


def accept_reply(result: AcceptResult, *, viewer: int | None = None, proposed: bool = False) -> Reply:
    if result.held_until is not None:
        return held_for_scheduling(result.request, result.held_until, viewer=viewer)
    if result.meeting is not None:
        meeting = result.meeting
        code = lang.of_person(result.request.requester if viewer == result.request.requester.id else result.request.invitee)
        text = lang.say(code, "rebooked_text" if proposed else "accepted_text", name=meeting.other.name,
                        when=when(meeting, code), place=place(meeting))  # fmt: skip
        return Reply(text=text, lang=code).add(Paragraph(text), MeetingCard(meeting))
    return no_slot(result.request, viewer=viewer)


def propose_choices(request: RequestView, days: list[date], blocks: list[BlockView], code: str = lang.DEFAULT) -> Reply:
    """The days and blocks one can propose (the console shows them as buttons; Slack as a modal)."""
    text = lang.say(code, "propose_text", topic=request.topic)
    reply = Reply(text=text, lang=code).add(Paragraph(text))
    buttons = [
        Button(lang.say(code, "propose_first_free", day=lang.short_day(d, code)), PROPOSE_DAY,
               f"{request.id}:day:{d.isoformat()}")
        for d in days
    ]  # fmt: skip
    buttons += [
        Button(block_label(b, request.timezone, code), PROPOSE_DAY, f"{request.id}:block:{b.id}")
        for b in blocks
        if not b.unavailable
    ]
    reply.add(Actions(tuple(buttons[:25])))
    return reply


def block_label(block: BlockView, timezone: str, code: str = lang.DEFAULT) -> str:
    start = timefmt.local(block.starts_at, timezone)
    return f"{lang.short_day(start.date(), code)} {start:%H:%M} {block.title or block.key}"


def overview_reply(overview: Overview, *, timezone: str, code: str = lang.DEFAULT) -> Reply:
    """/meetings: upcoming meetings, requests waiting for an answer, accepted ones waiting for a slot, requests
    sent, and the availability per block, each with its buttons, in the reader's language."""
    say = lambda key, **values: lang.say(code, key, **values)  # noqa: E731
    reply = Reply(text=say("overview_title"), lang=code).add(Heading(say("overview_title")))
    if overview.upcoming:
        for meeting in overview.upcoming:
            reply.add(MeetingCard(meeting), meeting_buttons(meeting, code))
    else:
        reply.add(Paragraph(say("overview_none")))
    if overview.waiting_for_me:
        reply.add(Divider(), Heading(say("overview_waiting")))
        for request in overview.waiting_for_me:
            reply.add(RequestCard(request, "invitee"), request_buttons(request, code))
    withdraw = lambda request: Button(say("button_withdraw"), WITHDRAW, str(request.id))  # noqa: E731
    if overview.unplaced:
        reply.add(Divider(), Heading(say("overview_unplaced")))
        for request in overview.unplaced:
            propose = Button(say("button_propose"), PROPOSE, str(request.id))
            reply.add(RequestCard(request, "both"), Actions((propose, withdraw(request))))
    if overview.sent:
        reply.add(Divider(), Heading(say("overview_sent")))
        for request in overview.sent:
            reply.add(RequestCard(request, "requester"), Actions((withdraw(request),)))
    if overview.blocks:
        reply.add(Divider(), Heading(say("overview_availability")))
        for block in overview.blocks:
            span = timefmt.span(block.starts_at, block.ends_at, timezone)
            day = lang.short_day(timefmt.local(block.starts_at, timezone).date(), code)
            state = say("block_unavailable" if block.unavailable else "block_available")
            reply.add(Paragraph(say("block_state", day=day, span=span, title=block.title, state=state)))
            button = (
                Button(say("button_mark_available"), BLOCK_ON, str(block.id))
                if block.unavailable
                else Button(say("button_mark_unavailable"), BLOCK_OFF, str(block.id))
            )
            reply.add(Actions((button,)))
    return reply


def schedule_all_reply(report: ScheduleAllReport, *, code: str = lang.DEFAULT) -> Reply:
    """A scheduling run's result for the organiser who asked, in their language."""
    text = lang.say(code, "schedule_all_text", placed=report.placed, unplaced=len(report.unplaced))
    reply = Reply(text=text, lang=code).add(Heading(lang.say(code, "schedule_all_title")), Paragraph(text))
    if report.run is not None:
        reply.add(Paragraph(run_summary(report.run, code=code)))
    for request, why in report.unplaced[:40]:
        reply.add(Note(f"#{request.id} {request.requester.name} → {request.invitee.name}: {reason(why, code)}"))
    if len(report.unplaced) > 40:
        reply.add(Note(lang.say(code, "unplaced_more", count=len(report.unplaced) - 40)))
    return reply


def reason(why: str, code: str = lang.DEFAULT) -> str:
    """Why a request or person got no meeting, in ``code``: runs store the English words (older runs too)."""
    key = {text: key for key, text in lang.table(lang.DEFAULT)["say"]["why"].items()}.get(why)
    return lang.table(code)["say"]["why"][key] if key else why


def run_summary(run, *, code: str = lang.DEFAULT) -> str:
    """What a scheduling run achieved, for organisers (the run result, or a stored ScheduleRun's detail)."""
    detail = run.detail if hasattr(run, "detail") else {
        "least": run.least, "at_zero": run.at_zero, "zero_reasons": run.zero_reasons, "changes": run.changes,
        "new": run.placed, "moved": run.moved, "since": run.since, "then": run.then, "seconds": round(run.seconds, 1),
        "waiting": run.waiting}  # fmt: skip
    total = run.placed if hasattr(run, "detail") else run.total
    share = f" ({total / run.bound:.0%})" if run.bound else ""
    lines = [
        lang.say(code, "run_booked", total=lang.number(total, code), bound=lang.number(run.bound, code), share=share,
                 method=run.method, seconds=detail.get("seconds", 0)),
    ]  # fmt: skip
    if detail.get("waiting", 1):
        zero = lang.number(detail.get("at_zero", 0), code)
        lines.append(lang.say(code, "run_least", least=detail.get("least", 0), zero=zero))
    else:
        lines.append(lang.say(code, "run_nobody_waiting"))
    for why, n in sorted(detail.get("zero_reasons", {}).items(), key=lambda item: -item[1]):
        lines.append(lang.say(code, "run_none_because", count=lang.number(n, code), why=reason(why, code)))
    if "new" in detail and "since" in detail:  # the parts of the change, so it can be said in any language
        changes = lang.say(code, "changes", new=detail["new"], moved=detail.get("moved", 0))
        if detail["since"] is not None:
            changes += lang.say(code, "changes_since", since=f"{detail['since']:+d}", then=detail["then"])
        lines.append(lang.say(code, "run_changes", changes=changes))
    elif detail.get("changes"):  # a run stored before the parts were: its English words
        lines.append(lang.say(code, "run_changes", changes=detail["changes"]))
    return "\n".join(lines)


def meeting_reminder(meeting: MeetingView, now: datetime, *, code: str = lang.DEFAULT) -> Reply:
    minutes = timefmt.minutes_until(meeting.starts_at, now)
    org = f" ({meeting.other.organisation})" if meeting.other.organisation else ""
    text = lang.say(code, "reminder_text", minutes=minutes, name=meeting.other.name, org=org, place=place(meeting),
                    topic=meeting.topic)  # fmt: skip
    return Reply(text=text, lang=code).add(Heading(lang.say(code, "reminder_title", minutes=minutes)), MeetingCard(meeting))
