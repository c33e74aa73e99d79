"""Dialogs in Teams: task/fetch opens one of the forms in :mod:`handlers.teams.dialogs`, task/submit reads it.
The Teams counterpart of handlers/slack/views (as dialogs.py is of handlers/slack/modals.py)."""

from __future__ import annotations

import asyncio
import logging

from microsoft_teams.api import MessageActivityInput, TaskModuleResponse

from bot.errors import UserError
from bot.partnering import replies as mr
from bot.partnering.participants import ProfileUpdate, parse_interests
from bot.text import button_id
from handlers.teams import cards, dialogs, lists
from handlers.teams.identity import external_id, identify
from handlers.teams.render import as_card, closed, dialog
from handlers.teams.sdk import ActivityContext

log = logging.getLogger(__name__)


def register(door) -> None:
    @door.sdk.on_dialog_open
    async def on_open(ctx: ActivityContext):
        data = ctx.activity.value.data or {}
        return await asyncio.to_thread(open_dialog, door, ctx.activity, data)

    @door.sdk.on_dialog_submit
    async def on_submit(ctx: ActivityContext):
        data = ctx.activity.value.data or {}
        response = await asyncio.to_thread(submit_dialog, door, ctx.activity, data)
        if response is not None and response.task.type == "message" and str(data.get("action")) in AFTER_LIST_DIALOG:
            await refresh_origin(door, ctx.activity, data)
        return response


# A dialog opened from a list card: when it is done, that card is rebuilt in place (the item's button changed).
AFTER_LIST_DIALOG = {"meet_submit": (mr.REQUEST_MEETING, "invitee"), "decline_submit": (mr.DECLINE, "request")}


def carry(form: dict, activity, data: dict) -> dict:
    """Keep, in a dialog's submit data, the list the dialog was opened from and the message that holds it."""
    origin = data.get("list")
    card_id = data.get("card") or activity.reply_to_id
    if not isinstance(origin, dict) or not isinstance(card_id, str) or not 0 < len(card_id) <= 200:
        return form
    for action in form.get("actions", []):
        if action.get("type") == "Action.Submit":
            action["data"] = {**action.get("data", {}), "list": origin, "card": card_id}
    return form


async def refresh_origin(door, activity, data: dict) -> None:
    """Update the list card the dialog came from (PUT on its message), as a press on it would have."""
    source, card_id = lists.source_of(data), data.get("card")
    if source is None or not isinstance(card_id, str) or not 0 < len(card_id) <= 200:
        return
    action, field = AFTER_LIST_DIALOG[str(data.get("action"))]
    from handlers.teams.actions import rebuild

    fresh = await asyncio.to_thread(rebuild, door, activity, source)
    card = lists.stamp(lists.mark_done(cards.card(fresh), action, str(data.get(field, ""))), source)
    update = MessageActivityInput(text=fresh.text[:500]).add_card(as_card(card))
    try:
        await door.sdk.api.conversations.update_activity(activity.conversation.id, card_id, update,
                                                         service_url=activity.service_url.rstrip("/"))  # fmt: skip
    except Exception as error:  # the request itself was made; only the old card stays as it was
        log.info("could not update the list card after a dialog (%s)", type(error).__name__)


def partnering_days(door) -> list[tuple[str, str]]:
    """The partnering days as (label, ISO date): the same choices as Slack's meeting form."""
    from bot import timefmt

    return [(timefmt.short_day(d), d.isoformat()) for d in door.assistant.partnering.partnering_days()]


def event_days(door) -> list[tuple[str, str]]:
    from bot import timefmt

    try:
        event = door.assistant.event()
    except Exception:
        return []
    days = sorted({event.local_date(s.starts_at) for s in event.sessions})
    return [(timefmt.short_day(d), f"day {event.day_number(d) or i + 1}") for i, d in enumerate(days)]


def open_dialog(door, activity, data: dict) -> TaskModuleResponse:
    a = door.assistant
    try:
        me = identify(door, activity)
        kind, value = str(data.get("dialog_id", "")), str(data.get("value", ""))
        if kind == "meet" and button_id(value) is not None:
            person = a.profile_of(button_id(value))
            form = dialogs.meet_form(invitee_id=person.id, invitee_name=person.name, days=partnering_days(door))
            return dialog(carry(form, activity, data), "Request a meeting")
        if kind == "decline" and button_id(value) is not None:
            return dialog(carry(dialogs.decline_form(request_id=button_id(value)), activity, data), "Decline")
        if kind == "profile":
            return dialog(dialogs.profile_form(profile=a.profile_of(me)), "Profile")
        if kind == "announce":
            if not a.is_organiser(external_id(activity)):
                return closed(a.not_organiser(external_id(activity)))
            return dialog(dialogs.announce_form(days=event_days(door)), "Announcement")
    except UserError as error:
        return closed(str(error))
    return closed("That form is out of date; type help to start again.")


def submit_dialog(door, activity, data: dict) -> TaskModuleResponse | None:
    a = door.assistant
    me = identify(door, activity)
    action = str(data.get("action", ""))
    values = {k: str(v) for k, v in data.items() if isinstance(v, str | int)}
    if action == "meet_submit":
        invitee = values.get("invitee", "")
        if button_id(invitee) is None:
            return closed("That form is out of date; type partners to start again.")
        try:
            preferred = a.parse_day(values.get("day", "")) if values.get("day") else None
            with a.producing() as queued:  # what this change queues, this process sends
                a.partnering.create_request(requester_id=me, invitee_id=int(invitee), topic=values.get("topic", ""),
                                            message=values.get("message", ""), preferred_day=preferred)  # fmt: skip
        except UserError as error:
            try:
                name = a.profile_of(int(invitee)).name
            except UserError:  # nobody with that ID (a crafted form): nothing to show the form again for
                return closed(str(error))
            form = dialogs.meet_form(invitee_id=int(invitee), invitee_name=name, days=partnering_days(door),
                                     values=values, error=str(error))  # fmt: skip
            return dialog(carry(form, activity, data), "Request a meeting")
        a.sent(queued)
        return closed("Request sent. I'll tell you when they answer.")
    if action == "decline_submit":
        request = values.get("request", "")
        if button_id(request) is None:
            return closed("That form is out of date; type meetings to start again.")
        try:
            with a.producing() as queued:
                a.partnering.decline(request_id=int(request), actor_id=me, reason=values.get("reason", ""))
        except UserError as error:
            form = dialogs.decline_form(request_id=int(request), values=values, error=str(error))
            return dialog(carry(form, activity, data), "Decline")
        a.sent(queued)
        return closed("Declined. I've let them know.")
    if action == "profile_submit":
        try:
            update = ProfileUpdate(
                organisation=values.get("organisation", ""), org_type=values.get("org_type", ""),
                role=values.get("role", ""), offers=values.get("offers", ""), seeks=values.get("seeks", ""),
                interests=parse_interests(values.get("interests", "")),
            )  # fmt: skip
            a.participants.update_profile(me, update, now=a.clock.now())
        except UserError as error:
            return dialog(dialogs.profile_form(profile=a.profile_of(me), values=values, error=str(error)), "Profile")
        return closed("Your profile is saved. Find partners by typing partners.")
    if action == "announce_submit":
        return submit_announcement(door, me, activity, values)
    if action == "announce_send":
        draft = values.get("draft", "")
        if button_id(draft) is None:
            return closed("That form is out of date; type announce to start again.")
        try:
            reply = a.confirm_announcement(external_id=external_id(activity), actor=me, draft_id=int(draft))
        except UserError as error:
            return closed(str(error))
        return closed(reply.text)
    return closed("That form is out of date; type help to start again.")


def submit_announcement(door, me: int, activity, values: dict) -> TaskModuleResponse:
    """The composer's fields become the same line the text command reads, so both check alike; the preview
    comes back in the dialog with a Send button."""
    from handlers.teams import announce

    a, who = door.assistant, external_id(activity)
    audience = values.get("audience") or "everyone"
    if audience == "types":
        audience = f"types {values.get('types', '').replace(' ', '')}"
    when = f" at {values['at'].strip()}" if values.get("at", "").strip() else ""
    text = values.get("text", "").strip()
    try:
        if not text:
            raise UserError("Write the announcement.")
        draft = announce.parse(a, f"to {audience}{when}: {text}")
        preview, draft_id = a.draft_announcement(external_id=who, actor=me, draft=draft)
    except UserError as error:
        return dialog(dialogs.announce_form(days=event_days(door), values=values, error=str(error)), "Announcement")
    return dialog(dialogs.announce_preview(cards.card(preview), draft_id=draft_id, scheduled=bool(draft.send_at)),
                  "Announcement")  # fmt: skip
