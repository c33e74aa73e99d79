"""Partnering buttons. A button's value is only an ID: the core checks that the person pressing
may act on it, so a crafted value naming someone else's meeting is refused and logged."""

from __future__ import annotations

import time
from datetime import date

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.assistant import say
from bot.errors import UserError
from bot.partnering import replies as mr
from bot.partnering.calendar import calendar_link
from bot.replies import Reply
from bot.text import button_id
from handlers.slack import blocks, modals
from handlers.slack.identity import PLATFORM, participant, valid_user_id

BROKEN = "That button is out of date. Open /meetings for the current state."
ANSWER_WITHIN = 8.0  # seconds after an Accept press; later, its held "Meeting booked" (HELD_FOR, 10 s) goes anyway


def _id(action: dict) -> int | None:
    return button_id(action.get("value", ""))


def _part(body: dict, key: str) -> dict:
    """One object of the payload (user, container, channel), or an empty one when a tampered payload has
    something else there: the press is judged on its button's value, not on how it was dressed."""
    part = body.get(key)
    return part if isinstance(part, dict) else {}


def _answer(respond: Respond, reply: Reply, *, replace: bool) -> None:
    respond(replace_original=replace, response_type="ephemeral", **blocks.message(reply, with_share=False))


def _actor(context: BoltContext, client: WebClient, body: dict, respond: Respond) -> int | None:
    try:
        return participant(context, client, body.get("user", {}).get("id", ""))
    except UserError as error:
        _answer(respond, say(str(error)), replace=False)
        return None


def simple_callback(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """Accept, withdraw, cancel, reschedule, availability: one call each, the answer replaces the message's buttons."""
    ack()
    ref = _id(action)
    me = _actor(context, client, body, respond)
    if me is None:
        return
    if ref is None:
        return _answer(respond, say(BROKEN), replace=False)
    a = context["assistant"]
    handlers = {
        mr.WITHDRAW: lambda: a.withdraw(actor=me, request_id=ref),
        mr.CANCEL: lambda: a.cancel(actor=me, meeting_id=ref),
        mr.RESCHEDULE: lambda: a.reschedule(actor=me, meeting_id=ref),
        mr.BLOCK_OFF: lambda: a.set_unavailable(actor=me, block_id=ref, unavailable=True),
        mr.BLOCK_ON: lambda: a.set_unavailable(actor=me, block_id=ref, unavailable=False),
    }
    reply = handlers[action["action_id"]]()
    _answer(respond, reply, replace=False)


def accept_callback(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    """Accept: the core writes the press down, then Slack gets its answer at once; the press is placed with the
    rest of its burst (:mod:`bot.partnering.instant`) and the result goes to the response_url (both people also
    get a DM from the outbox). If this process dies after answering, the worker carries the press out.

    Pressed on a message in the presser's DM with the bot (the request, or the reminder about it), the answer
    replaces that message with the booking, in the chat where "Meeting booked" would arrive a moment later: where
    this deployment serves calendar links (``calendar_url``), the answer carries the meeting's Add to calendar and
    that message is held for it (:class:`bot.replies.HeldMessage`), recorded as shown once Slack took the answer,
    sent if it did not or if the answer is ready later than ANSWER_WITHIN after the press."""
    pressed = time.monotonic()
    ref = _id(action)
    user_id = str(_part(body, "user").get("id", ""))
    a, background = context["assistant"], context["background"]
    if ref is None or not valid_user_id(user_id):
        ack()
        return background.run(background.replying, lambda: _answer(respond, say(BROKEN), replace=False))
    container = _part(body, "container")
    replace = container.get("is_ephemeral") is False
    in_dm = str(container.get("channel_id") or _part(body, "channel").get("id") or "").startswith("D")
    calendar_url = context.get("calendar_url")

    placed = a.press_accept(platform=PLATFORM, external_id=user_id, request_id=ref,
                            resolve=lambda: participant(context, client, user_id),
                            shows_booking=bool(calendar_url and replace and in_dm))  # fmt: skip
    ack()

    def answer(done) -> None:
        held, shown = None, False
        try:
            reply = done.result()
            held = reply.held
            if held is not None and time.monotonic() - pressed > ANSWER_WITHIN:  # its hold is nearly over: the
                a.held_message_shown(held, shown=False)  # message goes now, the answer has no link (both say it)
                held = None
            links = (calendar_link(calendar_url, held.calendar_token),) if held is not None else ()
            sent = respond(replace_original=replace, response_type="ephemeral",
                           **blocks.message(reply, with_share=False, links=links))  # fmt: skip
            shown = getattr(sent, "status_code", None) == 200  # an expired or used response_url is a 404, not raised
        finally:
            if held is not None:  # shown in the answer, or (Slack refused it) sent now
                a.held_message_shown(held, shown=shown)
            a.reply_sent()

    placed.add_done_callback(lambda done: background.run(background.replying, lambda: answer(done)))


def request_meeting_callback(
    ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    ref = _id(action)
    if ref is None or _actor(context, client, body, respond) is None:
        return
    a = context["assistant"]
    try:
        person = a.profile_of(ref)
    except UserError as error:
        return _answer(respond, say(str(error)), replace=False)
    days = a.partnering.partnering_days()
    if person.platform == "slack":
        view = modals.meet_modal(invitee=person.external_id, topic="", days=days)
    else:  # someone at the same event who uses another chat tool
        view = modals.meet_modal_for(participant_id=person.id, name=person.name, topic="", days=days)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def decline_callback(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    ref = _id(action)
    me = _actor(context, client, body, respond)
    if me is None:
        return
    try:
        request = context["assistant"].partnering.request(ref) if ref is not None else None
    except UserError as error:
        return _answer(respond, say(str(error)), replace=False)
    if request is None:
        return _answer(respond, say(BROKEN), replace=False)
    if request.invitee.id != me:
        # Let the core refuse (and log) it, so the rule lives in one place.
        return _answer(respond, context["assistant"].decline(actor=me, request_id=request.id), replace=False)
    client.views_open(
        trigger_id=body["trigger_id"],
        view=modals.decline_modal(request_id=request.id, requester=request.requester.name, topic=request.topic),
    )


def propose_callback(ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    ref = _id(action)
    me = _actor(context, client, body, respond)
    if me is None:
        return
    if ref is None:
        return _answer(respond, say(BROKEN), replace=False)
    try:
        request, days, open_blocks = context["assistant"].propose_choices(actor=me, request_id=ref)
    except UserError as error:
        return _answer(respond, say(str(error)), replace=False)
    if not days:
        return _answer(respond, say("There are no partnering blocks left to propose."), replace=False)
    client.views_open(
        trigger_id=body["trigger_id"],
        view=modals.propose_modal(request_id=ref, days=days, blocks=open_blocks, timezone=request.timezone),
    )


def propose_pick_callback(
    ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """A day or block button (shown after Reschedule): "<request>:day:<date>" or "<request>:block:<id>"."""
    ack()
    me = _actor(context, client, body, respond)
    if me is None:
        return
    reply = propose_from_value(context, me, str(action.get("value", "")))
    _answer(respond, reply, replace=False)


def propose_from_value(context: BoltContext, me: int, value: str) -> Reply:
    parts = value.split(":")
    a = context["assistant"]
    request_id = button_id(parts[0]) if len(parts) == 3 else None
    if request_id is not None:
        kind, target = parts[1], parts[2]
        try:
            if kind == "day":
                return a.propose(actor=me, request_id=request_id, day=date.fromisoformat(target))
            if kind == "block" and (block_id := button_id(target)) is not None:
                return a.propose(actor=me, request_id=request_id, block_id=block_id)
        except ValueError:
            pass
    return say(BROKEN)


def register(app: App) -> None:
    app.action(mr.ACCEPT)(accept_callback)
    for action_id in (mr.WITHDRAW, mr.CANCEL, mr.RESCHEDULE, mr.BLOCK_OFF, mr.BLOCK_ON):
        app.action(action_id)(simple_callback)
    app.action(mr.REQUEST_MEETING)(request_meeting_callback)
    app.action(mr.DECLINE)(decline_callback)
    app.action(mr.PROPOSE)(propose_callback)
    app.action(mr.PROPOSE_DAY)(propose_pick_callback)
