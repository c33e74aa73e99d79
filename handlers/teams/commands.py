"""Typed commands in Teams (a message to the bot, in a 1:1 chat or with an @mention in a channel): a command
word, a leading / is fine, or else a question. The Teams counterpart of handlers/slack/commands and messages."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from bot import lang
from bot.announcements import replies as ar
from bot.assistant import say
from bot.errors import UserError
from bot.replies import Actions, Button, Reply
from bot.text import clean_input, fold, tokens
from handlers.teams import cards, lists
from handlers.teams.identity import external_id, identify
from handlers.teams.render import message
from handlers.teams.sdk import ActivityContext

log = logging.getLogger(__name__)
COMMANDS = ("agenda", "venue", "meet", "meetings", "profile", "partners", "reminders", "privacy", "help")
PROFILE_EDIT = "profile_edit"
COMPOSE = "announce_compose"
cards.DIALOG_BUTTONS[PROFILE_EDIT] = "profile"
cards.DIALOG_BUTTONS[COMPOSE] = "announce"


def register(door) -> None:
    @door.sdk.on_message
    async def on_message(ctx: ActivityContext):
        text = ctx.activity.strip_mentions_text().text or ""
        if schedules_all(text):
            return await schedule_all(door, ctx)
        reply, links = await asyncio.to_thread(answer, door, ctx.activity, text)
        # Only in a 1:1 chat is a list rebuilt for the presser: in a channel everyone sees the card.
        personal = (ctx.activity.conversation.conversation_type or "personal") == "personal"
        await door.send_reply(ctx, message(reply, links=links, source=lists.source_for(text) if personal else None))


def schedules_all(text: str) -> bool:
    """``meetings schedule all`` (a leading / is fine)."""
    word, _, rest = clean_input(text).strip().lstrip("/").partition(" ")
    return fold(word) == "meetings" and tokens(rest) in (["schedule", "all"], ["scheduleall"])


async def schedule_all(door, ctx: ActivityContext) -> None:
    """A scheduling run takes up to its time limit, longer than Teams waits for an answer: say at once how many
    requests it places, then post the result to the same conversation as a proactive message when it is done."""
    activity = ctx.activity

    def start() -> tuple[Reply, int | None]:
        a, who = door.assistant, external_id(activity)
        try:
            me = identify(door, activity)
        except UserError as error:
            return say(str(error)), None
        return a.scheduling_now(external_id=who, actor=me), (me if a.is_organiser(who) else None)

    reply, me = await asyncio.to_thread(start)
    await door.send_reply(ctx, message(reply))
    if me is not None:
        door.in_background(post_schedule_run(door, activity, me))


async def post_schedule_run(door, activity, me: int) -> None:
    """Run the schedule off the event loop, then post its result where it was asked for."""
    a = door.assistant
    try:
        reply = await asyncio.to_thread(a.schedule_all, external_id=external_id(activity), actor=me)
    except Exception:
        log.exception("a scheduling run asked for in Teams failed")
        reply = say(lang.say(a.language_of(me), "run_failed"))
    try:
        await door.sdk.api.conversations.create_activity(activity.conversation.id, message(reply),
                                                         service_url=activity.service_url.rstrip("/"))  # fmt: skip
    except Exception as error:
        status = getattr(getattr(error, "response", None), "status_code", None)
        log.warning("could not post a scheduling run's result in Teams (%s %s)", type(error).__name__, status or "")


def answer(door, activity, text: str) -> tuple[Reply, tuple[tuple[str, str], ...]]:
    """A typed line: a command word (a leading / is fine) or else a question."""
    a = door.assistant
    try:
        me = identify(door, activity)
    except UserError as error:
        return say(str(error)), ()
    line = clean_input(text).strip()
    word, _, rest = line.lstrip("/").partition(" ")
    command = fold(word)
    if command not in COMMANDS and command not in ("venues", "session", "announce", "report", "home"):
        return a.ask(text=line, actor=me), ()
    match command:
        case "agenda":
            return a.agenda(text=rest, actor=me), ()
        case "venue" | "venues":
            return a.venue(text=rest), ()
        case "help":
            return (a.help() if tokens(rest) in ([], ["help"]) else a.ask(text=rest, actor=me)), ()
        case "home":
            return a.home(actor=me), ()
        case "partners" | "meet":
            return a.partners(actor=me, text=rest), ()
        case "meetings":
            if tokens(rest) == ["export"]:
                reply, csv_text = a.export_meetings(external_id=external_id(activity))
                return reply, csv_link(door, me, "meetings.csv", csv_text)
            return meetings(door, me, activity, rest), ()
        case "profile":
            reply = a.profile(actor=me)
            if any(isinstance(p, Actions) and p.buttons[0].action == PROFILE_EDIT for p in reply.parts):
                return reply, ()  # the "filled in from your registration" notice brings its own Edit
            return reply.add(Actions((Button("Edit profile", PROFILE_EDIT, "", "primary"),))), ()
        case "reminders":
            return a.reminders_overview(actor=me), ()
        case "privacy":
            return a.privacy_overview(actor=me), ()
        case "session":
            return a.edit_session(external_id=external_id(activity), text=rest), ()
        case "report":
            words = tokens(rest)
            if not words:
                return a.organiser_summary(external_id=external_id(activity), actor=me), ()
            if words == ["dashboard"]:
                return dashboard_link(door, me, activity), ()
            if words == ["people"]:  # the registration list: counts, the unlinked as a download link
                reply, csv_text = a.people_report(external_id=external_id(activity))
                return reply, csv_link(door, me, "people-not-linked.csv", csv_text)
            reply, csv_text = a.report_csv(external_id=external_id(activity), kind=words[0])
            return reply, csv_link(door, me, f"{words[0]}.csv", csv_text)
        case "announce":
            return announce(door, me, activity, rest), ()
    return a.ask(text=line, actor=me), ()


def dashboard_link(door, me: int, activity) -> Reply:
    """``report dashboard``: the one-time sign-in link, only in the organiser's 1:1 chat (never in a channel,
    where others would see it; and never through the outbox, so the link is not stored)."""
    who = external_id(activity)
    if not door.assistant.is_organiser(who):
        return door.assistant.dashboard_link(external_id=who, actor=0)[0]  # refuses (and logs) first
    if (activity.conversation.conversation_type or "personal") != "personal":
        return say("Ask me for the dashboard link in a 1:1 chat with me: it signs you in, so only you should see it.")
    _, private = door.assistant.dashboard_link(external_id=who, actor=me)
    return private or say("No link could be made; try again.")


def csv_link(door, me: int, filename: str, csv_text: str | None) -> tuple[tuple[str, str], ...]:
    """A CSV as a download link (unguessable, expires after a day): Teams takes no file in a bot message
    without the person's consent."""
    if not csv_text:
        return ()
    a = door.assistant
    token = a.published.publish(participant_id=me, filename=filename, mimetype="text/csv",
                                content=csv_text.encode(), now=a.clock.now())  # fmt: skip
    return ((f"Download {filename}", f"{door.settings.public_url}/files/{token}.csv"),)


def meetings(door, me: int, activity, rest: str) -> Reply:
    a, who = door.assistant, external_id(activity)
    words = tokens(rest)  # "schedule all" never gets here: on_message runs it in the background (schedule_all)
    if words == ["tables"]:
        return a.table_schedule(external_id=who)
    return a.meetings(actor=me)


def announce(door, me: int, activity, rest: str) -> Reply:
    from handlers.teams import announce

    a, who = door.assistant, external_id(activity)
    if tokens(rest) == ["list"]:
        return a.announcements_list(external_id=who)
    if not tokens(rest):
        if not a.is_organiser(who):
            return say(a.not_organiser(who))
        return say("Write an announcement in the composer, or type announce [to everyone|day 2|types pharma]: <text>.").add(
            Actions((Button("Compose announcement", COMPOSE, "", "primary"),))
        )
    try:
        draft = announce.parse(a, rest)
        conversation = activity.conversation
        if conversation.conversation_type == "channel" and not rest.strip().startswith(("to ", "at ")):
            # typed in a team channel: the announcement is posted here, where the bot is installed
            draft = replace(draft, audience="channel", value=conversation.id)
        preview, draft_id = a.draft_announcement(external_id=who, actor=me, draft=draft)
    except UserError as error:
        return say(str(error))
    label = "Schedule" if draft.send_at else "Send"
    return preview.add(Actions((Button(label, ar.CONFIRM, str(draft_id), "primary"),)))
