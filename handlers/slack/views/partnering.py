"""Submitted partnering modals. Bad input is shown next to the field, and nothing is saved."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.errors import UserError
from bot.partnering.participants import ProfileUpdate, parse_interests
from bot.text import button_id
from handlers.slack import modals
from handlers.slack.actions.partnering import propose_from_value
from handlers.slack.identity import participant

log = logging.getLogger(__name__)


def _errors(ack: Ack, block_id: str, message: str) -> None:
    ack(response_action="errors", errors={block_id: message[:150]})


def _dm(client: WebClient, user_id: str, text: str) -> None:
    """Tell the person what happened after a modal closes (the DM with the bot)."""
    from handlers.slack.blocks import escape

    try:
        client.chat_postMessage(channel=user_id, text=escape(text))
    except Exception:
        log.warning("could not tell %s the outcome of a form", user_id)


def profile_submit_callback(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    user_id = body["user"]["id"]
    a = context["assistant"]
    try:
        me = participant(context, client, user_id)
        interests = parse_interests(modals.value(view, "interests"))
    except UserError as error:
        return _errors(ack, "interests", str(error))
    update = ProfileUpdate(
        organisation=modals.value(view, "organisation"),
        org_type=modals.value(view, "org_type"),
        role=modals.value(view, "role"),
        offers=modals.value(view, "offers"),
        seeks=modals.value(view, "seeks"),
        interests=interests,
    )
    try:
        a.participants.update_profile(me, update, now=a.clock.now())
    except UserError as error:
        field = {"organisation": "organisation", "offers": "offers", "seeks": "seeks", "role": "role"}
        block = next((b for word, b in field.items() if word in str(error)), "organisation")
        return _errors(ack, block, str(error))
    if "available" in view.get("state", {}).get("values", {}):
        chosen = {button_id(v) for v in modals.value(view, "available")} - {None}
        problems = []
        for block in a.partnering.blocks(participant_id=me):
            try:
                if block.unavailable and block.id in chosen:
                    a.partnering.set_unavailable(participant_id=me, block_id=block.id, unavailable=False)
                elif not block.unavailable and block.id not in chosen:
                    a.partnering.set_unavailable(participant_id=me, block_id=block.id, unavailable=True)
            except UserError as error:
                problems.append(str(error))
        if problems:
            return _errors(ack, "available", problems[0])
    ack()
    _dm(client, user_id, "Your profile is saved. Find partners with /partners.")


def meet_submit_callback(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    user_id = body["user"]["id"]
    a = context["assistant"]
    invitee_user = modals.value(view, "invitee")
    try:
        me = participant(context, client, user_id)
    except UserError as error:
        return _errors(ack, "invitee", str(error))
    other_tool = str(view.get("private_metadata", ""))
    if other_tool.startswith("participant:") and button_id(other_tool.removeprefix("participant:")) is not None:
        invitee = button_id(other_tool.removeprefix("participant:"))  # checked again when the request is made
    else:
        try:
            invitee = participant(context, client, invitee_user)
        except UserError:
            return _errors(ack, "invitee", "That person isn't in this workspace.")
    day = modals.value(view, "day")
    try:
        preferred = None if day in ("", modals.FIRST_AVAILABLE) else a.parse_day(day)
        with a.producing() as queued:  # what this change queues, this process sends
            a.partnering.create_request(
                requester_id=me, invitee_id=invitee, topic=modals.value(view, "topic"),
                message=modals.value(view, "message"), preferred_day=preferred,
            )  # fmt: skip
    except UserError as error:
        block = {"topic": "topic", "message": "message", "day": "day"}.get(error.field or "", "invitee")
        return _errors(ack, block, str(error))
    ack()
    a.sent(queued)


def decline_submit_callback(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    a = context["assistant"]
    try:
        me = participant(context, client, body["user"]["id"])
        request_id = int(view.get("private_metadata", ""))
        with a.producing() as queued:
            a.partnering.decline(request_id=request_id, actor_id=me, reason=modals.value(view, "reason"))
    except ValueError:
        return _errors(ack, "reason", "This form is out of date; open /meetings again.")
    except UserError as error:
        return _errors(ack, "reason", str(error))
    ack()
    a.sent(queued)
    _dm(client, body["user"]["id"], "Declined. I've let them know.")


def propose_submit_callback(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    try:
        me = participant(context, client, body["user"]["id"])
    except UserError as error:
        return _errors(ack, "when", str(error))
    request_id = view.get("private_metadata", "")
    reply = propose_from_value(context, me, f"{request_id}:{modals.value(view, 'when')}")
    if reply.text.startswith(("There is no", "That", "Only", "This", "They")):
        return _errors(ack, "when", reply.text)
    ack()
    _dm(client, body["user"]["id"], reply.text)


def register(app: App) -> None:
    app.view(modals.PROFILE)(profile_submit_callback)
    app.view(modals.MEET)(meet_submit_callback)
    app.view(modals.DECLINE)(decline_submit_callback)
    app.view(modals.PROPOSE)(propose_submit_callback)
