"""/announce and /report: organisers only; everyone else gets a polite refusal (and it is logged)."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.announcements.broadcasts import Draft
from bot.announcements.replies import CONFIRM
from bot.assistant import say
from bot.errors import UserError
from bot.replies import Actions, Button
from bot.text import tokens
from handlers.slack import announce_modals, blocks
from handlers.slack.identity import participant
from handlers.slack.uploads import send_csv, send_private

DISCARD = "announce_discard"


def channel_problem(client: WebClient):
    """A check the core runs before anything is sent: is the bot in that channel?"""

    def check(channel: str) -> str | None:
        try:
            info = client.conversations_info(channel=channel)["channel"]
        except Exception:
            return "I can't see that channel. Invite @PartnerUp to it first (/invite @PartnerUp)."
        if not info.get("is_member", False):
            return f"I'm not in #{info.get('name', 'that channel')}. Invite @PartnerUp there first (/invite @PartnerUp)."
        return None

    return check


def _reply(ack: Ack, reply) -> None:
    ack(response_type="ephemeral", **blocks.message(reply, with_share=False))


def announce_callback(ack: Ack, command: dict, client: WebClient, context: BoltContext) -> None:
    a = context["assistant"]
    user_id, text = command["user_id"], command.get("text", "").strip()
    try:
        a.check_organiser(user_id)
        me = participant(context, client, user_id)
    except UserError as error:
        return _reply(ack, say(str(error)))
    if tokens(text) == ["list"]:
        return _reply(ack, a.announcements_list(external_id=user_id))
    if not text:
        ack()
        event = a.event()
        client.views_open(
            trigger_id=command["trigger_id"],
            view=announce_modals.compose_modal(
                event, a.partnering.blocks(), now=a.clock.now(), channel=command.get("channel_id")
            ),
        )
        return None
    draft = Draft(text=text, audience="channel", value=command.get("channel_id", ""))
    try:
        preview, draft_id = a.draft_announcement(
            external_id=user_id, actor=me, draft=draft, channel_problem=channel_problem(client)
        )
    except UserError as error:
        return _reply(ack, say(str(error)))
    preview.add(
        Actions(
            (Button("Post in this channel", CONFIRM, str(draft_id), "primary"), Button("Cancel", DISCARD, str(draft_id)))
        )
    )
    return _reply(ack, preview)


def report_callback(ack: Ack, command: dict, client: WebClient, context: BoltContext) -> None:
    a = context["assistant"]
    user_id = command["user_id"]
    words = tokens(command.get("text", ""))
    if not words:
        me = a.participants.known(platform="slack", external_id=user_id)  # the run's part in their language
        return _reply(ack, a.organiser_summary(external_id=user_id, actor=me))
    if words[0] == "dashboard":
        return _dashboard_link(ack, client, context, user_id)
    if words[0] == "people":
        reply, csv_text = a.people_report(external_id=user_id)
        _reply(ack, reply)
        if csv_text is not None:
            send_csv(
                client,
                user_id=user_id,
                filename="people-not-linked.csv",
                title="Registrants not found in Slack",
                content=csv_text,
            )
        return None
    reply, csv_text = a.report_csv(external_id=user_id, kind=words[0])
    _reply(ack, reply)
    if csv_text is not None:
        send_csv(client, user_id=user_id, filename=f"{words[0]}.csv", title=f"PartnerUp {words[0]} report", content=csv_text)
    return None


def _dashboard_link(ack: Ack, client: WebClient, context: BoltContext, user_id: str) -> None:
    """``/report dashboard``: a one-time sign-in link, by direct message, for organisers only."""
    a = context["assistant"]
    if not a.is_organiser(user_id):
        reply, _ = a.dashboard_link(external_id=user_id, actor=0)  # refuses (and logs) before using the actor
        return _reply(ack, reply)
    try:
        me = participant(context, client, user_id)
    except UserError as error:
        return _reply(ack, say(str(error)))
    reply, private = a.dashboard_link(external_id=user_id, actor=me)
    _reply(ack, reply)
    if private is not None:
        send_private(client, user_id=user_id, reply=private)
    return None


def register(app: App) -> None:
    app.command("/announce")(announce_callback)
    app.command("/report")(report_callback)
