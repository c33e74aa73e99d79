"""Install and lifecycle events in Teams: the welcome when the app is added, forgetting the address when it is
removed. The Teams counterpart of handlers/slack/events."""

from __future__ import annotations

import asyncio

from bot.assistant import say
from bot.replies import Reply
from handlers.teams.identity import PLATFORM, external_id, identify
from handlers.teams.render import message
from handlers.teams.sdk import ActivityContext

WELCOME = (
    "Hi, I'm PartnerUp, the event assistant. Type agenda, agenda day 2, agenda now, venue, partners, profile, "
    'meetings, reminders or help, or just ask a question such as "when is lunch?"'
)


def register(door) -> None:
    sdk = door.sdk

    @sdk.on_install_add
    async def on_install(ctx: ActivityContext):
        await welcome(door, ctx)

    @sdk.on_install_remove
    async def on_uninstall(ctx: ActivityContext):
        await asyncio.to_thread(forget, door, ctx.activity)

    @sdk.on_conversation_update
    async def on_update(ctx: ActivityContext):
        added = ctx.activity.members_added or []
        if any(m.id == ctx.activity.recipient.id for m in added):
            await welcome(door, ctx)


async def welcome(door, ctx) -> None:
    def build() -> Reply:
        if (ctx.activity.conversation.conversation_type or "personal") == "personal" and ctx.activity.from_:
            identify(door, ctx.activity)
        reply = door.assistant.help()
        return Reply(text=WELCOME, parts=[*say(WELCOME).parts, *reply.parts])

    await door.send_reply(ctx, message(await asyncio.to_thread(build)))


def forget(door, activity) -> None:
    a = door.assistant
    me = a.participants.known(platform=PLATFORM, external_id=external_id(activity))
    if me is not None:
        a.addresses.mark_dead(participant_id=me, reason="uninstalled", now=a.clock.now())
