"""Neutral replies as Adaptive Cards 1.5: the Teams counterpart of ``handlers/slack/blocks.py``.

Buttons become Action.Execute (``data = {"action", "value"}``) so Teams sends an ``adaptiveCard/action`` invoke
and the answer replaces the card in place, as Slack updates a message. Buttons whose Slack counterpart opens a
modal become Action.Submit with ``msteams.type = task/fetch``: they open a dialog. Everything a user typed is
escaped so it cannot become a link, a mention or formatting.
"""

from __future__ import annotations

import re
from datetime import date

from bot import lang, timefmt
from bot.partnering import replies as mr
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

VERSION = "1.5"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
DIALOG_BUTTONS = {mr.REQUEST_MEETING: "meet", mr.DECLINE: "decline"}
MAX_ACTIONS = 6
_MARKUP = re.compile(r"([\\*_\[\]])")  # the markup Adaptive Cards read: emphasis and links


def escape(text: str) -> str:
    """Plain text for a TextBlock: emphasis and link characters escaped (the only markup cards read; fewer escapes
    because some Teams clients have shown the backslashes), and URLs broken so Teams does not link them."""
    text = _MARKUP.sub(r"\\\1", text)
    return text.replace("://", ":\u200b//").replace("@", "@\u200b")


# The core names commands as Slack spells them (/meetings); in Teams a command is the bare word, shown in bold.
_SLASH_COMMAND = re.compile(
    r"(?<![\w/.:])/(agenda|venues?|partnerup|profile|partners|meetings|meet|reminders|privacy|announce|report|session)\b"
)
_TEAMS_WORD = {"partnerup": "help"}


def as_teams_commands(text: str) -> str:
    """ "see /meetings" as a Teams user types it: "see **meetings**" (after :func:`escape`, so the bold stays)."""
    text = text.replace("/partnerup help", "/partnerup")
    return _SLASH_COMMAND.sub(lambda m: f"**{_TEAMS_WORD.get(m.group(1), m.group(1))}**", text)


def text_block(text: str, **style) -> dict:
    return {"type": "TextBlock", "text": as_teams_commands(escape(text)), "wrap": True, **style}


def button(b: Button) -> dict:
    data = {"action": b.action, "value": b.value}
    if b.action in DIALOG_BUTTONS:
        return {"type": "Action.Submit", "title": b.label,
                "data": {**data, "dialog_id": DIALOG_BUTTONS[b.action], "msteams": {"type": "task/fetch"}}}  # fmt: skip
    action = {"type": "Action.Execute", "title": b.label, "verb": b.action, "data": data}
    if b.style == "primary":
        action["style"] = "positive"
    elif b.style == "danger":
        action["style"] = "destructive"
    return action


def link_button(label: str, url: str) -> dict:
    return {"type": "Action.OpenUrl", "title": label, "url": url}


def _facts(pairs: list[tuple[str, str]]) -> dict:
    return {"type": "FactSet", "facts": [{"title": escape(t), "value": escape(v)} for t, v in pairs if v]}


def session_items(card: SessionCard) -> list[dict]:
    session, zone = card.session, card.timezone
    when = timefmt.span(session.starts_at, session.ends_at, zone)
    if card.show_day:
        when = f"{timefmt.short_day(timefmt.local(session.starts_at, zone).date())} {when}"
    items = [text_block(f"{when}  {session.title}", weight="Bolder", spacing="Medium")]
    place = ", ".join(p for p in (session.room, session.venue.name if session.venue else None) if p)
    details = []
    if place:
        details.append(f"at {place}")
    if session.speakers:
        details.append("with " + "; ".join(f"{s.name} ({s.organisation})" if s.organisation else s.name
                                           for s in session.speakers))  # fmt: skip
    if card.show_description and session.description:
        details.append(session.description)
    if details:
        items.append(text_block("\n\n".join(details), isSubtle=True, spacing="None"))
    if card.bookmarked is not None:
        label, action = ("Don't remind me", BOOKMARK_REMOVE) if card.bookmarked else ("Remind me", BOOKMARK_ADD)
        items.append({"type": "ActionSet", "actions": [button(Button(label, action, str(session.id)))]})
    return items


def venue_items(card: VenueCard) -> list[dict]:
    venue = card.venue
    items = [text_block(venue.name, weight="Bolder", spacing="Medium")]
    pairs = [
        ("Days", ", ".join(f"Day {n} ({timefmt.short_day(d)})" for n, d in card.days)),
        ("Address", venue.address or ""),
        ("Getting there", venue.directions or ""),
        ("Rooms", ", ".join(venue.rooms)),
    ]
    items.append(_facts(pairs))
    if venue.map_url and venue.map_url.startswith("https://"):
        items.append({"type": "ActionSet", "actions": [link_button("Map", venue.map_url)]})
    return items


def profile_items(card: ProfileCard, code: str = lang.DEFAULT) -> list[dict]:
    person = card.profile
    words = lang.table(code)["say"]
    pairs = [(words["card_offers"], person.offers), (words["card_seeks"], person.seeks),
             (words["card_interests"], ", ".join(person.interests))]  # fmt: skip
    return [text_block(person.headline(), weight="Bolder", spacing="Medium"), _facts(pairs)]


def meeting_items(card: MeetingCard, code: str = lang.DEFAULT) -> list[dict]:
    meeting = card.meeting
    start = timefmt.local(meeting.starts_at, meeting.timezone)
    when = f"{lang.short_day(start.date(), code)} {timefmt.span(meeting.starts_at, meeting.ends_at, meeting.timezone)}"
    place = ", ".join(p for p in (meeting.table, meeting.room, meeting.venue) if p)
    words = lang.table(code)["say"]
    return [
        text_block(f"{when}  {words['card_with']} {meeting.other.headline()}", weight="Bolder", spacing="Medium"),
        _facts([(words["card_where"], place), (words["card_topic"], meeting.topic)]),
    ]


def request_items(card: RequestCard, code: str = lang.DEFAULT) -> list[dict]:
    request = card.request
    words = lang.table(code)["say"]
    number = words["card_request"].format(id=request.id)
    if card.side == "invitee":
        head = f"{number} {words['card_from']} {request.requester.headline()}"
    elif card.side == "requester":
        head = f"{number} {words['card_to']} {request.invitee.headline()}"
    else:
        head = f"{number}: {request.requester.name} {words['and']} {request.invitee.name}"
    pairs = [(words["card_topic"], request.topic), (words["card_message"], request.message or "")]
    if request.preferred_day:
        pairs.append((words["card_preferred_day"], lang.short_day(date.fromisoformat(request.preferred_day), code)))
    return [text_block(head, weight="Bolder", spacing="Medium"), _facts(pairs)]


def card(reply: Reply, *, links: tuple[tuple[str, str], ...] = ()) -> dict:
    """The Adaptive Card for ``reply``; ``links`` adds Action.OpenUrl buttons (e.g. Add to calendar)."""
    body: list[dict] = []
    actions: list[dict] = []
    for part in reply.parts:
        match part:
            case Heading(text=text):
                body.append(text_block(text, size="Medium", weight="Bolder"))
            case DayHeading(day=day, number=n):
                body.append(text_block(timefmt.day_label(day, n), weight="Bolder", color="Accent", spacing="Large"))
            case Paragraph(text=text):
                body.append(text_block(text))
            case Note(text=text):
                body.append(text_block(text, isSubtle=True, size="Small"))
            case Markdown(text=text):
                body.append(text_block(text))
            case SessionCard():
                body.extend(session_items(part))
            case VenueCard():
                body.extend(venue_items(part))
            case ProfileCard():
                body.extend(profile_items(part, reply.lang))
            case MeetingCard():
                body.extend(meeting_items(part, reply.lang))
            case RequestCard():
                body.extend(request_items(part, reply.lang))
            case Actions(buttons=items):
                rendered = [button(b) for b in items]
                for start in range(0, len(rendered), MAX_ACTIONS):
                    body.append({"type": "ActionSet", "actions": rendered[start : start + MAX_ACTIONS]})
            case Divider():
                body.append({"type": "TextBlock", "text": " ", "separator": True})
    if not body:
        body.append(text_block(reply.text))
    actions.extend(link_button(label, url) for label, url in links)
    result = {"type": "AdaptiveCard", "version": VERSION, "body": body}
    if actions:
        result["actions"] = actions
    return result


def buttons_of(card_json: dict) -> list[dict]:
    """Every action on a card, in order (tests press them as a person would)."""
    found: list[dict] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action."):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card_json)
    return found
