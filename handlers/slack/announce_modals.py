"""The /announce modals: compose (message, audience, when) and confirm (count and preview)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    StaticMultiSelectElement,
    StaticSelectElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot import timefmt
from bot.agenda.catalog import EventView
from bot.announcements.broadcasts import TEXT_LIMIT, Draft
from bot.errors import UserError
from bot.partnering.participants import ORG_TYPE_LABELS
from bot.partnering.views import BlockView
from bot.replies import Reply
from handlers.slack.blocks import blocks_for
from handlers.slack.modals import value

COMPOSE = "announce_compose"
CONFIRM = "announce_confirm"
MAX_SESSION_OPTIONS = 60
FIELD_BLOCKS = {"text": "text", "audience": "audience", "value": "audience", "when": "when_date"}


def _option(text: str, value_: str) -> Option:
    return Option(text=PlainTextObject(text=text[:75]), value=value_[:150])


def compose_modal(event: EventView, blocks: list[BlockView], *, now: datetime, channel: str | None = None) -> dict[str, Any]:
    """Sessions offered are the next few dozen (Slack lists at most 100 options per menu)."""
    zone = event.timezone
    audiences = [_option("A channel (choose below)", "channel"), _option("Every participant, by direct message", "everyone")]
    audiences += [_option(f"Participants of day {n} ({timefmt.short_day(d)})", f"day:{d.isoformat()}")
                  for n, d in enumerate(event.dates, start=1)]  # fmt: skip
    audiences += [_option(f"Meetings in {timefmt.short_day(timefmt.local(b.starts_at, zone).date())} "
                          f"{timefmt.local(b.starts_at, zone):%H:%M} {b.title}", f"block:{b.id}") for b in blocks]  # fmt: skip
    audiences.append(_option("Organisation types (choose below)", "org_types"))
    upcoming = [s for s in event.sessions if s.starts_at > now][:MAX_SESSION_OPTIONS]
    audiences += [_option(f"Bookmarked: {timefmt.short_day(timefmt.local(s.starts_at, zone).date())} "
                          f"{timefmt.clock(s.starts_at, zone)} {s.title}", f"session:{s.id}") for s in upcoming]  # fmt: skip
    elements = [
        InputBlock(block_id="text", label="Message (Slack formatting works)", element=PlainTextInputElement(
            action_id="value", multiline=True, max_length=TEXT_LIMIT, placeholder="The bus to Oslo Science Park leaves at 08:15")),
        InputBlock(block_id="audience", label="Who gets it", element=StaticSelectElement(action_id="value", options=audiences[:100])),
        InputBlock(block_id="channel", label="Channel (for a channel audience)", optional=True,
                   element=ConversationSelectElement(action_id="value", initial_conversation=channel or None,
                                                     filter=ConversationFilter(include=["public", "private"]))),
        InputBlock(block_id="org_types", label="Organisation types (for that audience)", optional=True,
                   element=StaticMultiSelectElement(action_id="value",
                                                    options=[_option(label, key) for key, label in ORG_TYPE_LABELS.items()])),
        InputBlock(block_id="when", label="When", element=RadioButtonsElement(
            action_id="value", options=[_option("Now", "now"), _option("At the date and time below", "at")],
            initial_option=_option("Now", "now"))),
        InputBlock(block_id="when_date", label=f"Date ({zone} time)", optional=True, element=DatePickerElement(action_id="value")),
        InputBlock(block_id="when_time", label="Time", optional=True, element=TimePickerElement(action_id="value")),
        InputBlock(block_id="broadcast", label="Notifications", optional=True, element=CheckboxesElement(
            action_id="value", options=[_option("Let @channel, @here and @everyone in the message notify people", "yes")])),
    ]  # fmt: skip
    return View(type="modal", callback_id=COMPOSE, title="Announcement", submit="Preview", close="Cancel",
                blocks=elements).to_dict()  # fmt: skip


def draft_from(view: dict[str, Any], timezone: str) -> Draft:
    """The compose modal's inputs as a draft.

    Raises:
        UserError: with ``field`` for a missing channel, organisation type or time.
    """
    audience = value(view, "audience")
    kind, _, target = audience.partition(":")
    if kind == "channel":
        target = _selected_conversation(view)
        if not target:
            raise UserError("Choose the channel below.", field="value")
    elif kind == "org_types":
        target = ",".join(value(view, "org_types"))
        if not target:
            raise UserError("Choose at least one organisation type below.", field="value")
    send_at = None
    if value(view, "when") == "at":
        day, clock = value(view, "when_date"), value(view, "when_time")
        if not day or not clock:
            raise UserError("Give the date and the time, or choose Now.", field="when")
        send_at = _instant(day, clock, timezone)
    return Draft(text=value(view, "text"), audience=kind, value=target, allow_broadcast=bool(value(view, "broadcast")),
                 send_at=send_at)  # fmt: skip


def _instant(day: str, clock: str, timezone: str) -> datetime:
    """The date and time pickers' values as an instant; what a picker would never send is refused on the field."""
    try:
        hours, minutes = (int(part) for part in clock.split(":")[:2])
        when = date.fromisoformat(day)
        if when.year < 2000:
            raise ValueError(day)
        return datetime.combine(when, time(hours, minutes), tzinfo=ZoneInfo(timezone))
    except (ValueError, TypeError, OverflowError):
        raise UserError("Give a real date and time (the pickers give one).", field="when") from None


def _selected_conversation(view: dict[str, Any]) -> str:
    state = view.get("state", {}).get("values", {}).get("channel", {}).get("value", {})
    return state.get("selected_conversation") or ""


def confirm_modal(preview: Reply, *, draft_id: int) -> dict[str, Any]:
    blocks = blocks_for(preview, limit=90, with_share=False)
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text="Press *Send* to confirm, or go back to change it.")]).to_dict()
    )
    return View(type="modal", callback_id=CONFIRM, title="Confirm announcement", submit="Send", close="Back",
                private_metadata=str(draft_id), blocks=blocks).to_dict()  # fmt: skip


def field_block(field: str | None) -> str:
    return FIELD_BLOCKS.get(field or "", "text")


def message_view(text: str) -> dict[str, Any]:
    """A modal that only says something (when a confirm can no longer go through)."""
    return View(type="modal", title="Announcement", close="Close",
                blocks=[ContextBlock(elements=[PlainTextObject(text=text[:2000])])]).to_dict()  # fmt: skip
