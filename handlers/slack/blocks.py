"""Block Kit rendering of the assistant's neutral replies, within Slack's limits.

Everything the core says is escaped (``&``, ``<``, ``>``) and sent as verbatim mrkdwn, so
text that came from a user can never become a mention, a channel ping or a link.
Slack rejects messages over its limits, so sections, headers, buttons and block counts
are cut here rather than failing at Slack.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot import lang, timefmt
from bot.reminders.replies import BOOKMARK_ADD, BOOKMARK_REMOVE
from bot.replies import (
    Actions,
    Button,
    DayHeading,
    Divider,
    Heading,
    Markdown,
    MeetingCard,
    Note,
    Paragraph,
    ProfileCard,
    Reply,
    RequestCard,
    SessionCard,
    VenueCard,
)

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
MESSAGE_TEXT_LIMIT = 3000
LINK = "open_link"  # action IDs of buttons that open an address, open_link_1 ... (Slack reports their presses too)
KIND_EMOJI = {
    "talk": ":microphone:",
    "panel": ":speech_balloon:",
    "pitch": ":rocket:",
    "partnering": ":handshake:",
    "break": ":coffee:",
    "networking": ":clinking_glasses:",
}


def escape(text: str) -> str:
    """Slack's own escaping for message text: the only three characters with control meaning."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=_cut(text, SECTION_TEXT_LIMIT), verbatim=True)


_BROADCAST = re.compile(r"<!(channel|here|everyone)(\|[^>]*)?>|<!subteam\^[A-Z0-9]+(\|[^>]*)?>")
_BROADCAST_WORDS = re.compile(r"(?<![\w<!])@(channel|here|everyone)\b")


def organiser_mrkdwn(text: str, allow_broadcast: bool) -> str:
    """An organiser's mrkdwn as sent: links and formatting kept; @channel, @here, @everyone and
    user-group pings only when the organiser ticked the box, written out harmlessly otherwise."""
    if allow_broadcast:
        return _BROADCAST_WORDS.sub(lambda m: f"<!{m.group(1)}>", text)
    return _BROADCAST.sub(lambda m: "@" + (m.group(1) or "group"), text)


def date_token(instant: datetime, fallback: str) -> str:
    """Slack's ``<!date>`` token: each reader sees the time in their own zone."""
    return f"<!date^{int(instant.timestamp())}^{{date_short_pretty}} {{time}}|{escape(fallback)}>"


def session_text(card: SessionCard, code: str = lang.DEFAULT) -> str:
    session, zone = card.session, card.timezone
    start_local = timefmt.local(session.starts_at, zone)
    when = timefmt.span(session.starts_at, session.ends_at, zone)
    if card.show_day:
        when = f"{lang.short_day(start_local.date(), code)} {when}"
    fallback = f"{lang.short_day(start_local.date(), code)} {start_local:%H:%M %Z}"
    lines = [
        f"{KIND_EMOJI.get(session.kind, '')} *{escape(session.title)}*".strip(),
        f"*{escape(when)}* · {lang.say(code, 'your_time')}: {date_token(session.starts_at, fallback)}",
    ]
    place = ", ".join(escape(p) for p in (session.room, session.venue.name if session.venue else None) if p)
    if place:
        lines.append(f":round_pushpin: {place}")
    if session.speakers:
        people = "; ".join(escape(f"{s.name} ({s.organisation})" if s.organisation else s.name) for s in session.speakers)
        lines.append(f":bust_in_silhouette: {people}")
    if card.show_description and session.description:
        lines.append(escape(session.description))
    return "\n".join(lines)


def venue_text(card: VenueCard, code: str = lang.DEFAULT) -> str:
    venue = card.venue
    lines = [f":round_pushpin: *{escape(venue.name)}*"]
    if card.days:
        lines.append(", ".join(f"{lang.day_n(n, code)} ({lang.short_day(d, code)})" for n, d in card.days))
    if venue.address:
        address = escape(venue.address)
        lines.append(f"<{escape(venue.map_url)}|{address}>" if venue.map_url.startswith("https://") else address)
    if venue.directions:
        lines.append(f":train2: {escape(venue.directions)}")
    if venue.rooms:
        lines.append(f"{lang.say(code, 'rooms')}: {escape(', '.join(venue.rooms))}")
    return "\n".join(lines)


def profile_text(card: ProfileCard, code: str = lang.DEFAULT) -> str:
    person = card.profile
    words = lang.table(code)["say"]
    mention = f"<@{person.external_id}>" if person.platform == "slack" and person.external_id.isalnum() else ""
    lines = [f":bust_in_silhouette: *{escape(person.headline())}*" + (f" {mention}" if mention else "")]
    if person.offers:
        lines.append(f"*{words['card_offers']}:* {escape(person.offers)}")
    if person.seeks:
        lines.append(f"*{words['card_seeks']}:* {escape(person.seeks)}")
    if person.interests:
        lines.append(f"*{words['card_interests']}:* {escape(', '.join(person.interests))}")
    return "\n".join(lines)


def meeting_text(card: MeetingCard, code: str = lang.DEFAULT) -> str:
    meeting = card.meeting
    start_local = timefmt.local(meeting.starts_at, meeting.timezone)
    fallback = f"{lang.short_day(start_local.date(), code)} {start_local:%H:%M %Z}"
    when = f"{lang.short_day(start_local.date(), code)} {timefmt.span(meeting.starts_at, meeting.ends_at, meeting.timezone)}"
    place = ", ".join(escape(p) for p in (meeting.table, meeting.room, meeting.venue) if p)
    words = lang.table(code)["say"]
    return "\n".join(
        [
            f":handshake: *{escape(when)}* · {words['your_time']}: {date_token(meeting.starts_at, fallback)}",
            f"{words['card_with']} *{escape(meeting.other.headline())}*",
            f":round_pushpin: {place}",
            f"*{words['card_topic']}:* {escape(meeting.topic)}",
        ]
    )


def request_text(card: RequestCard, code: str = lang.DEFAULT) -> str:
    request = card.request
    words = lang.table(code)["say"]
    if card.side == "invitee":
        head = f"{words['card_from']} *{escape(request.requester.headline())}*"
    elif card.side == "requester":
        head = f"{words['card_to']} *{escape(request.invitee.headline())}*"
    else:
        head = f"*{escape(request.requester.name)}* {words['and']} *{escape(request.invitee.name)}*"
    number = words["card_request"].format(id=request.id)
    lines = [f":envelope: {number} {head}", f"*{words['card_topic']}:* {escape(request.topic)}"]
    if request.message:
        lines.append(f"*{words['card_message']}:* {escape(request.message)}")
    if request.preferred_day:
        day = lang.short_day(date.fromisoformat(request.preferred_day), code)
        lines.append(f"*{words['card_preferred_day']}:* {escape(day)}")
    return "\n".join(lines)


def button(spec: Button) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=_cut(spec.label, BUTTON_TEXT_LIMIT), emoji=True),
        action_id=spec.action,
        value=spec.value[:BUTTON_VALUE_LIMIT],
        style=spec.style,
    )


def link_button(label: str, url: str, number: int = 1) -> ButtonElement:
    """A button that opens ``url`` (our own address, such as a calendar file's). Slack still sends the app a press
    for it, named from :data:`LINK` so that it is only acknowledged; ``number`` keeps a message's IDs unique."""
    return ButtonElement(text=PlainTextObject(text=_cut(label, BUTTON_TEXT_LIMIT), emoji=True),
                         action_id=f"{LINK}_{number}", url=url)  # fmt: skip


def blocks_for(
    reply: Reply, *, limit: int = MESSAGE_BLOCK_LIMIT, with_share: bool = True, links: tuple[tuple[str, str], ...] = ()
) -> list[dict[str, Any]]:
    """Render ``reply`` as Block Kit dicts, never more than ``limit`` blocks. ``links``: (label, address) buttons
    that open a page, after the reply's own (e.g. Add to calendar)."""
    blocks: list[Any] = []
    for part in reply.parts:
        match part:
            case Heading(text=text):
                blocks.append(HeaderBlock(text=PlainTextObject(text=_cut(text, HEADER_TEXT_LIMIT), emoji=True)))
            case DayHeading(day=day, number=number):
                blocks.append(ContextBlock(elements=[_mrkdwn(escape(timefmt.day_label(day, number)))]))
            case Paragraph(text=text):
                blocks.append(SectionBlock(text=_mrkdwn(escape(text))))
            case Note(text=text):
                blocks.append(ContextBlock(elements=[_mrkdwn(escape(text))]))
            case Markdown(text=text, allow_broadcast=allow):
                blocks.append(
                    SectionBlock(text=MarkdownTextObject(text=_cut(organiser_mrkdwn(text, allow), SECTION_TEXT_LIMIT)))
                )
            case SessionCard(bookmarked=bookmarked):
                accessory = None
                if bookmarked is not None:
                    accessory = button(
                        Button("Don't remind me", BOOKMARK_REMOVE, str(part.session.id))
                        if bookmarked
                        else Button("Remind me", BOOKMARK_ADD, str(part.session.id))
                    )
                blocks.append(SectionBlock(text=_mrkdwn(session_text(part, reply.lang)), accessory=accessory))
            case VenueCard():
                blocks.append(SectionBlock(text=_mrkdwn(venue_text(part, reply.lang))))
            case ProfileCard():
                blocks.append(SectionBlock(text=_mrkdwn(profile_text(part, reply.lang))))
            case MeetingCard():
                blocks.append(SectionBlock(text=_mrkdwn(meeting_text(part, reply.lang))))
            case RequestCard():
                blocks.append(SectionBlock(text=_mrkdwn(request_text(part, reply.lang))))
            case Actions(buttons=buttons) if buttons:
                blocks.append(ActionsBlock(elements=[button(b) for b in buttons[:25]]))
            case Divider():
                blocks.append(DividerBlock())
    if links:
        blocks.append(ActionsBlock(elements=[link_button(label, url, n) for n, (label, url) in enumerate(links, 1)]))
    if with_share and reply.share is not None:
        blocks.append(ActionsBlock(elements=[button(reply.share)]))
    if len(blocks) > limit:
        blocks = blocks[: limit - 1] + [
            ContextBlock(
                elements=[_mrkdwn("…more than fits in one message. Narrow it down, e.g. /agenda day 2 or /agenda <words>.")]
            )
        ]
    return [block.to_dict() for block in blocks]


def fallback_text(reply: Reply) -> str:
    """The plain ``text`` Slack shows in notifications; escaped like everything else."""
    return _cut(escape(reply.text), MESSAGE_TEXT_LIMIT)


def message(reply: Reply, *, with_share: bool = True, links: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    return {"text": fallback_text(reply), "blocks": blocks_for(reply, with_share=with_share, links=links)}


def home_view(reply: Reply) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks_for(reply, limit=VIEW_BLOCK_LIMIT, with_share=False)}
