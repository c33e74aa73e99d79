"""The Teams door: the SDK app with PartnerUp's handlers, and the ``POST /api/messages`` endpoint.

A handler does what a Slack listener does: pull the Teams fields out, call one ``Assistant`` method (in a thread,
because the core is sync and must not block the event loop), render the reply as an Adaptive Card. The SDK
validates every inbound JWT (issuer, audience, expiry, signature, serviceurl claim) before a handler runs.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import date

from microsoft_teams.api import (
    ActivityTypeAdapter,
    AdaptiveCardActionCardResponse,
    CardTaskModuleTaskInfo,
    MessageActivityInput,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleResponse,
)
from microsoft_teams.cards import AdaptiveCard
from pydantic import ValidationError

from bot.agenda.listing import ACTION_PAGE, ACTION_SHARE, decode_query
from bot.announcements import replies as ar
from bot.assistant import NOT_ORGANISER, Assistant, say
from bot.errors import UserError
from bot.partnering import replies as mr
from bot.partnering.participants import PersonInfo, ProfileUpdate, parse_interests
from bot.privacy import replies as pr
from bot.reminders import replies as rr
from bot.replies import Actions, Button, Reply
from bot.text import clean_input, fold, tokens
from handlers.teams import cards, dialogs
from handlers.teams.accept import accept_pressed
from handlers.teams.sdk import ActivityContext, HttpRequest, InboundActivityTokenValidator, build_sdk_app

PLATFORM = "teams"
log = logging.getLogger(__name__)
COMMANDS = ("agenda", "venue", "meet", "meetings", "profile", "partners", "reminders", "privacy", "help")
WELCOME = (
    "Hi, I'm PartnerUp, the event assistant. Type agenda, agenda day 2, agenda now, venue, partners, profile, "
    'meetings, reminders or help, or just ask a question such as "when is lunch?"'
)
PROFILE_EDIT = "profile_edit"
COMPOSE = "announce_compose"
cards.DIALOG_BUTTONS[PROFILE_EDIT] = "profile"
cards.DIALOG_BUTTONS[COMPOSE] = "announce"


def as_card(payload: dict) -> AdaptiveCard:
    return AdaptiveCard.model_validate(payload)


def message(reply: Reply, *, links: tuple[tuple[str, str], ...] = ()) -> MessageActivityInput:
    return MessageActivityInput(text=reply.text[:500]).add_card(as_card(cards.card(reply, links=links)))


def dialog(payload: dict, title: str) -> TaskModuleResponse:
    from microsoft_teams.api import AdaptiveCardAttachment, card_attachment

    info = CardTaskModuleTaskInfo(title=title, width="medium", height="medium",
                                  card=card_attachment(AdaptiveCardAttachment(content=as_card(payload))))  # fmt: skip
    return TaskModuleResponse(task=TaskModuleContinueResponse(value=info))


def closed(text: str) -> TaskModuleResponse:
    return TaskModuleResponse(task=TaskModuleMessageResponse(value=text))


class TeamsDoor:
    """One Teams app for one process; ``loop`` is the event loop its HTTP clients belong to."""

    def __init__(self, *, assistant: Assistant, settings, sleep=asyncio.sleep) -> None:
        self.assistant = assistant
        self.settings = settings
        self.app_id: str = settings.teams_app_id
        self.routes: dict = {}
        self.sdk = build_sdk_app(
            app_id=settings.teams_app_id,
            password=settings.teams_app_password,
            tenant_id=settings.teams_tenant_id,
            openid_metadata_url=settings.teams_openid_metadata_url,
            login_url=settings.teams_login_url,
            http_server_adapter=self,
            sleep=sleep,
        )
        self.validator = InboundActivityTokenValidator(self.app_id, cloud=self.sdk.cloud)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._register()

    # --- HttpServerAdapter: we host the route ourselves ----------------------------------------------

    def register_route(self, method, path, handler) -> None:
        self.routes[path] = handler

    def serve_static(self, path, directory) -> None:
        pass

    async def start(self, port) -> None:
        raise RuntimeError("the Teams door is hosted by PartnerUp's own web server")

    async def stop(self) -> None:
        pass

    async def startup(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.sdk.initialize()

    async def handle(self, body: dict, headers: dict) -> tuple[int, object]:
        """One POST /api/messages. Activities the SDK does not model are authenticated and acknowledged
        (the SDK alone answers them with a 500, which makes Teams retry)."""
        try:
            ActivityTypeAdapter.validate_python(body)
        except ValidationError:
            auth = headers.get("authorization", "")
            if not auth.startswith("Bearer "):
                return 401, {"error": "Unauthorized"}
            try:
                await self.validator.validate_token(auth.removeprefix("Bearer "), body.get("serviceUrl"))
            except Exception:
                return 401, {"error": "Unauthorized"}
            log.info("ignoring a Teams activity of a kind I don't handle (%s)", str(body.get("type"))[:40])
            return 200, None
        result = await self.routes["/api/messages"](HttpRequest(body=body, headers=headers))
        return result["status"], result["body"]

    # --- who is talking ------------------------------------------------------------------------------

    def identify(self, activity) -> int:
        """The participant for the sender, keyed by Entra object ID (what TEAMS_ORGANISER_IDS lists); their
        1:1 conversation reference is stored so the worker can message them later."""
        person = activity.from_
        external_id = (person.aad_object_id or person.id).lower()
        me = self.assistant.identify(
            platform=PLATFORM, external_id=external_id,
            lookup=lambda: PersonInfo(display_name=(person.name or self.member_name(activity) or "Teams user")[:200]),
        )  # fmt: skip
        conversation = activity.conversation
        if (conversation.conversation_type or "personal") == "personal":
            address = {
                "service_url": activity.service_url.rstrip("/"),
                "conversation_id": conversation.id,
                "tenant_id": conversation.tenant_id or "",
                "user_id": person.id,
                "aad_object_id": person.aad_object_id or "",
                "bot_id": activity.recipient.id,
            }
            stored, dead = self.assistant.addresses.lookup(me)  # read every time: the worker may have marked it dead
            if stored != address or dead:
                self.assistant.addresses.remember(participant_id=me, address=address, now=self.assistant.clock.now())
        return me

    def member_name(self, activity) -> str:
        """The name from the connector's member lookup, for an activity that carries none (called off the loop)."""
        if self.loop is None:
            return ""
        api = self.sdk.api.from_service_url(activity.service_url.rstrip("/")).conversations
        lookup = api.get_member_by_id(activity.conversation.id, activity.from_.id)
        try:
            return asyncio.run_coroutine_threadsafe(lookup, self.loop).result(timeout=3).name or ""
        except Exception:
            log.info("could not look up a Teams member's name")
            return ""

    def external_id(self, activity) -> str:
        return (activity.from_.aad_object_id or activity.from_.id).lower()

    # --- handlers ------------------------------------------------------------------------------------

    def _register(self) -> None:
        sdk = self.sdk

        @sdk.on_message
        async def on_message(ctx: ActivityContext):
            text = ctx.activity.strip_mentions_text().text or ""
            reply, links = await asyncio.to_thread(self.answer, ctx.activity, text)
            await self.send_reply(ctx, message(reply, links=links))

        @sdk.on_card_action_execute
        async def on_execute(ctx: ActivityContext):
            data = ctx.activity.value.action.data or {}
            if str(data.get("action", "")) == mr.ACCEPT:  # placed with its burst, awaited without a thread
                reply = await accept_pressed(self, ctx.activity, str(data.get("value", "")))
            else:
                reply = await asyncio.to_thread(
                    self.press, ctx.activity, str(data.get("action", "")), str(data.get("value", ""))
                )
            return AdaptiveCardActionCardResponse(value=as_card(cards.card(reply)))

        @sdk.on_dialog_open
        async def on_open(ctx: ActivityContext):
            data = ctx.activity.value.data or {}
            return await asyncio.to_thread(self.open_dialog, ctx.activity, data)

        @sdk.on_dialog_submit
        async def on_submit(ctx: ActivityContext):
            data = ctx.activity.value.data or {}
            return await asyncio.to_thread(self.submit_dialog, ctx.activity, data)

        @sdk.on_install_add
        async def on_install(ctx: ActivityContext):
            await self.welcome(ctx)

        @sdk.on_install_remove
        async def on_uninstall(ctx: ActivityContext):
            await asyncio.to_thread(self.forget, ctx.activity)

        @sdk.on_conversation_update
        async def on_update(ctx: ActivityContext):
            added = ctx.activity.members_added or []
            if any(m.id == ctx.activity.recipient.id for m in added):
                await self.welcome(ctx)

    async def send_reply(self, ctx, activity) -> None:
        """Send the answer; if the connector refuses it (after the retries), log it and still acknowledge the
        activity, so Teams does not deliver it again and run the command twice."""
        try:
            await ctx.send(activity)
        except Exception as error:
            status = getattr(getattr(error, "response", None), "status_code", None)
            log.warning("could not send a Teams reply (%s %s)", type(error).__name__, status or "")

    async def welcome(self, ctx) -> None:
        def build() -> Reply:
            if (ctx.activity.conversation.conversation_type or "personal") == "personal" and ctx.activity.from_:
                self.identify(ctx.activity)
            reply = self.assistant.help()
            return Reply(text=WELCOME, parts=[*say(WELCOME).parts, *reply.parts])

        await self.send_reply(ctx, message(await asyncio.to_thread(build)))

    def forget(self, activity) -> None:
        me = self.assistant.participants.known(platform=PLATFORM, external_id=self.external_id(activity))
        if me is not None:
            self.assistant.addresses.mark_dead(participant_id=me, reason="uninstalled", now=self.assistant.clock.now())

    def answer(self, activity, text: str) -> tuple[Reply, tuple[tuple[str, str], ...]]:
        """A typed line: a command word (a leading / is fine) or else a question."""
        a = self.assistant
        try:
            me = self.identify(activity)
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
                    reply, csv_text = a.export_meetings(external_id=self.external_id(activity))
                    return reply, self.csv_link(me, "meetings.csv", csv_text)
                return self.meetings(me, activity, rest), ()
            case "profile":
                reply = a.profile(actor=me)
                return reply.add(Actions((Button("Edit profile", PROFILE_EDIT, "", "primary"),))), ()
            case "reminders":
                return a.reminders_overview(actor=me), ()
            case "privacy":
                return a.privacy_overview(actor=me), ()
            case "session":
                return a.edit_session(external_id=self.external_id(activity), text=rest), ()
            case "report":
                words = tokens(rest)
                if not words:
                    return a.organiser_summary(external_id=self.external_id(activity)), ()
                if words == ["dashboard"]:
                    return self.dashboard_link(me, activity), ()
                reply, csv_text = a.report_csv(external_id=self.external_id(activity), kind=words[0])
                return reply, self.csv_link(me, f"{words[0]}.csv", csv_text)
            case "announce":
                return self.announce(me, activity, rest), ()
        return a.ask(text=line, actor=me), ()

    def dashboard_link(self, me: int, activity) -> Reply:
        """``report dashboard``: the one-time sign-in link, only in the organiser's 1:1 chat (never in a channel,
        where others would see it; and never through the outbox, so the link is not stored)."""
        who = self.external_id(activity)
        if not self.assistant.is_organiser(who):
            return self.assistant.dashboard_link(external_id=who, actor=0)[0]  # refuses (and logs) first
        if (activity.conversation.conversation_type or "personal") != "personal":
            return say("Ask me for the dashboard link in a 1:1 chat with me: it signs you in, so only you should see it.")
        _, private = self.assistant.dashboard_link(external_id=who, actor=me)
        return private or say("No link could be made; try again.")

    def csv_link(self, me: int, filename: str, csv_text: str | None) -> tuple[tuple[str, str], ...]:
        """A CSV as a download link (unguessable, expires after a day): Teams takes no file in a bot message
        without the person's consent."""
        if not csv_text:
            return ()
        token = self.assistant.published.publish(participant_id=me, filename=filename, mimetype="text/csv",
                                                 content=csv_text.encode(), now=self.assistant.clock.now())  # fmt: skip
        return ((f"Download {filename}", f"{self.settings.public_url}/files/{token}.csv"),)

    def meetings(self, me: int, activity, rest: str) -> Reply:
        a, who = self.assistant, self.external_id(activity)
        words = tokens(rest)
        if words in (["schedule", "all"], ["scheduleall"]):
            return a.schedule_all(external_id=who)
        if words == ["tables"]:
            return a.table_schedule(external_id=who)
        return a.meetings(actor=me)

    def announce(self, me: int, activity, rest: str) -> Reply:
        from handlers.teams import announce

        a, who = self.assistant, self.external_id(activity)
        if tokens(rest) == ["list"]:
            return a.announcements_list(external_id=who)
        if not tokens(rest):
            if not a.is_organiser(who):
                return say(NOT_ORGANISER)
            return say(
                "Write an announcement in the composer, or type announce [to everyone|day 2|types pharma]: <text>."
            ).add(Actions((Button("Compose announcement", COMPOSE, "", "primary"),)))
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

    def press(self, activity, action: str, value: str) -> Reply:
        """An Action.Execute button: the value is re-validated here, as in every door."""
        a = self.assistant
        try:
            me = self.identify(activity)
        except UserError as error:
            return say(str(error))
        who = self.external_id(activity)
        if action == ACTION_PAGE:
            query, page = decode_query(value)
            return a.agenda(text=query, page=page, actor=me)
        if action == ACTION_SHARE:
            query, page = decode_query(value)
            return a.agenda(text=query, page=page, actor=me)
        if action in (rr.MEETING_REMINDERS, rr.DIGEST):
            on = value == "on"
            if action == rr.MEETING_REMINDERS:
                return a.set_reminder_preferences(actor=me, meeting_reminders=on)
            return a.set_reminder_preferences(actor=me, daily_digest=on)
        if action == mr.PROPOSE_DAY:
            request_id, kind, target = (value.split(":") + ["", "", ""])[:3]
            try:
                if kind == "day":
                    return a.propose(actor=me, request_id=int(request_id), day=date.fromisoformat(target))
                return a.propose(actor=me, request_id=int(request_id), block_id=int(target))
            except ValueError:
                return say("That button is out of date; type meetings to see the current ones.")
        privacy = {
            pr.DOWNLOAD: lambda: a.download_my_data(actor=me),
            pr.HIDE: lambda: a.set_hidden(actor=me, hidden=True),
            pr.SHOW: lambda: a.set_hidden(actor=me, hidden=False),
            pr.DELETE: lambda: a.confirm_delete_my_data(actor=me),
            pr.DELETE_CONFIRM: lambda: a.delete_my_data(actor=me),
            pr.DELETE_CANCEL: lambda: say("Nothing was deleted."),
        }
        if action in privacy:
            return privacy[action]()
        reply = a.press(actor=me, external_id=who, action=action, value=value)
        return say("That button does nothing here any more.") if reply is None else reply

    # --- dialogs -------------------------------------------------------------------------------------

    def _days(self) -> list[tuple[str, str]]:
        """The partnering days as (label, ISO date): the same choices as Slack's meeting form."""
        from bot import timefmt

        return [(timefmt.short_day(d), d.isoformat()) for d in self.assistant.partnering.partnering_days()]

    def open_dialog(self, activity, data: dict) -> TaskModuleResponse:
        a = self.assistant
        try:
            me = self.identify(activity)
            kind, value = str(data.get("dialog_id", "")), str(data.get("value", ""))
            if kind == "meet" and value.isdigit():
                person = a.profile_of(int(value))
                return dialog(dialogs.meet_form(invitee_id=person.id, invitee_name=person.name, days=self._days()),
                              "Request a meeting")  # fmt: skip
            if kind == "decline" and value.isdigit():
                return dialog(dialogs.decline_form(request_id=int(value)), "Decline")
            if kind == "profile":
                return dialog(dialogs.profile_form(profile=a.profile_of(me)), "Profile")
            if kind == "announce":
                if not a.is_organiser(self.external_id(activity)):
                    return closed(NOT_ORGANISER)
                return dialog(dialogs.announce_form(days=self._event_days()), "Announcement")
        except UserError as error:
            return closed(str(error))
        return closed("That form is out of date; type help to start again.")

    def submit_dialog(self, activity, data: dict) -> TaskModuleResponse | None:
        a = self.assistant
        me = self.identify(activity)
        action = str(data.get("action", ""))
        values = {k: str(v) for k, v in data.items() if isinstance(v, str | int)}
        if action == "meet_submit":
            invitee = values.get("invitee", "")
            if not invitee.isdigit():
                return closed("That form is out of date; type partners to start again.")
            try:
                preferred = a.parse_day(values.get("day", "")) if values.get("day") else None
                with a.producing() as queued:  # what this change queues, this process sends
                    a.partnering.create_request(requester_id=me, invitee_id=int(invitee), topic=values.get("topic", ""),
                                                message=values.get("message", ""), preferred_day=preferred)  # fmt: skip
            except UserError as error:
                name = a.profile_of(int(invitee)).name
                return dialog(dialogs.meet_form(invitee_id=int(invitee), invitee_name=name, days=self._days(),
                                                values=values, error=str(error)), "Request a meeting")  # fmt: skip
            a.sent(queued)
            return closed("Request sent. I'll tell you when they answer.")
        if action == "decline_submit":
            request = values.get("request", "")
            if not request.isdigit():
                return closed("That form is out of date; type meetings to start again.")
            try:
                with a.producing() as queued:
                    a.partnering.decline(request_id=int(request), actor_id=me, reason=values.get("reason", ""))
            except UserError as error:
                return dialog(dialogs.decline_form(request_id=int(request), values=values, error=str(error)), "Decline")
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
            return self.submit_announcement(me, activity, values)
        if action == "announce_send":
            draft = values.get("draft", "")
            if not draft.isdigit():
                return closed("That form is out of date; type announce to start again.")
            try:
                reply = a.confirm_announcement(external_id=self.external_id(activity), actor=me, draft_id=int(draft))
            except UserError as error:
                return closed(str(error))
            return closed(reply.text)
        return closed("That form is out of date; type help to start again.")

    def _event_days(self) -> list[tuple[str, str]]:
        from bot import timefmt

        try:
            event = self.assistant.event()
        except Exception:
            return []
        days = sorted({event.local_date(s.starts_at) for s in event.sessions})
        return [(timefmt.short_day(d), f"day {event.day_number(d) or i + 1}") for i, d in enumerate(days)]

    def submit_announcement(self, me: int, activity, values: dict) -> TaskModuleResponse:
        """The composer's fields become the same line the text command reads, so both check alike; the preview
        comes back in the dialog with a Send button."""
        from handlers.teams import announce

        a, who = self.assistant, self.external_id(activity)
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
            return dialog(dialogs.announce_form(days=self._event_days(), values=values, error=str(error)), "Announcement")
        return dialog(dialogs.announce_preview(cards.card(preview), draft_id=draft_id, scheduled=bool(draft.send_at)),
                      "Announcement")  # fmt: skip
