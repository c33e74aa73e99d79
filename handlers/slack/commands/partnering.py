"""/profile, /partners, /meet and /meetings: partnering through slash commands."""

from __future__ import annotations

import re

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.assistant import say
from bot.errors import UserError
from bot.text import clean_input, tokens
from handlers.slack import blocks, modals
from handlers.slack.identity import optional_participant, participant
from handlers.slack.people import with_registration_notice
from handlers.slack.uploads import send_csv

MENTION = re.compile(r"^\s*<@([UW][A-Z0-9]{1,20})(?:\|[^>]*)?>\s*(.*)$", re.DOTALL)


def _ephemeral(ack: Ack, reply) -> None:
    ack(response_type="ephemeral", **blocks.message(reply, with_share=False))


def profile_callback(ack: Ack, command: dict, client: WebClient, context: BoltContext) -> None:
    assistant = context["assistant"]
    try:
        me = participant(context, client, command["user_id"])
    except UserError as error:
        return _ephemeral(ack, say(str(error)))
    ack()
    profile = assistant.profile_of(me)
    partnering = assistant.partnering
    view = modals.profile_modal(profile, partnering.blocks(participant_id=me), partnering.timezone())
    client.views_open(
        trigger_id=command["trigger_id"], view=with_registration_notice(view, bool(assistant.registration_notice(me)))
    )


def partners_callback(ack: Ack, command: dict, client: WebClient, context: BoltContext) -> None:
    try:
        me = participant(context, client, command["user_id"])
    except UserError as error:
        return _ephemeral(ack, say(str(error)))
    _ephemeral(ack, context["assistant"].partners(actor=me, text=command.get("text", "")))


def meet_callback(ack: Ack, command: dict, client: WebClient, context: BoltContext) -> None:
    """/meet @person <topic>: opens the request modal, prefilled; nothing is sent before the person confirms."""
    text = command.get("text", "")
    match = MENTION.match(text)
    invitee, topic = (match.group(1), clean_input(match.group(2))) if match else (None, "")
    if text.strip() and not match:
        return _ephemeral(
            ack, say("Start with the person, mentioned with @ so Slack links them: /meet @Maya Lund TCR licensing")
        )
    try:
        participant(context, client, command["user_id"])
    except UserError as error:
        return _ephemeral(ack, say(str(error)))
    ack()
    days = context["assistant"].partnering.partnering_days()
    client.views_open(trigger_id=command["trigger_id"], view=modals.meet_modal(invitee=invitee, topic=topic, days=days))


def meetings_callback(ack: Ack, command: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    assistant = context["assistant"]
    user_id = command["user_id"]
    words = tokens(command.get("text", ""))
    if words in (["schedule", "all"], ["scheduleall"]):
        # A run takes up to its time limit: say at once how many requests it places (in the organiser's language,
        # when they are known here), then post the result to the response URL.
        me = assistant.participants.known(platform="slack", external_id=user_id)
        now = assistant.scheduling_now(external_id=user_id, actor=me)
        if not assistant.is_organiser(user_id):
            return _ephemeral(ack, now)  # the refusal
        ack(response_type="ephemeral", text=now.text)
        me = me or optional_participant(context, client, user_id)  # acknowledged: there is time to ask Slack
        return respond(
            response_type="ephemeral",
            **blocks.message(assistant.schedule_all(external_id=user_id, actor=me), with_share=False),
        )
    if words == ["export"]:
        reply, csv_text = assistant.export_meetings(external_id=user_id)
        _ephemeral(ack, reply)
        if csv_text is not None:
            send_csv(client, user_id=user_id, filename="meetings.csv", title="All meetings", content=csv_text)
        return None
    if words == ["tables"]:
        return _ephemeral(ack, assistant.table_schedule(external_id=user_id))
    try:
        me = participant(context, client, user_id)
    except UserError as error:
        return _ephemeral(ack, say(str(error)))
    return _ephemeral(ack, assistant.meetings(actor=me))


def register(app: App) -> None:
    app.command("/profile")(profile_callback)
    app.command("/partners")(partners_callback)
    app.command("/meet")(meet_callback)
    app.command("/meetings")(meetings_callback)
