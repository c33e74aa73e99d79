"""Install and lifecycle events in Teams: the welcome when the app is added, forgetting the address when it is
removed. The Teams counterpart of handlers/slack/events."""

from __future__ import annotations

import asyncio
import logging

from bot.assistant import say
from bot.partnering.participants import PersonInfo
from bot.replies import Reply
from handlers.teams.identity import PLATFORM, address_of, channel_tenant, external_id, identify
from handlers.teams.render import message
from handlers.teams.sdk import ActivityContext

log = logging.getLogger(__name__)
_LEARNING: set[asyncio.Task] = set()  # roster reads under way (kept so they are not garbage-collected)
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
            # A big team's roster takes a while: acknowledged at once, learnt in the background.
            task = asyncio.get_running_loop().create_task(learn_roster(door, ctx.activity))
            _LEARNING.add(task)
            task.add_done_callback(_LEARNING.discard)
        elif added and _team_id(ctx.activity):
            await asyncio.to_thread(remember_members, door, ctx.activity, added)


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


def _team_id(activity) -> str:
    data = activity.channel_data
    return (data.team.id if data is not None and data.team is not None else "") or ""


async def learn_roster(door, activity) -> None:
    """The bot was added to a team: everyone on the team's roster becomes someone PartnerUp can message (a 1:1
    chat is created on the first message), so announcements and reminders reach people who never wrote to it."""
    team = _team_id(activity)
    if not team:
        return
    api = door.sdk.api.from_service_url(activity.service_url.rstrip("/")).conversations
    try:
        members = await api.get_members(team)
    except Exception as error:  # the welcome went out; people are learnt one by one as they write instead
        log.warning("could not read the team's roster (%s)", type(error).__name__)
        return
    try:
        await asyncio.to_thread(remember_members, door, activity, members)
    except Exception:
        log.exception("learning the team's roster failed part-way; people are learnt as they write instead")


def remember_members(door, activity, members) -> int:
    """Participants and addresses (without a chat yet) for team members; a stored address is kept."""
    a, now, count = door.assistant, door.assistant.clock.now(), 0
    tenant = activity.conversation.tenant_id or channel_tenant(activity)
    for member in members:
        if not member.id or member.id.startswith("28:") or member.id == activity.recipient.id:  # bots
            continue
        name = (getattr(member, "name", None) or "Teams user")[:200]
        aad = getattr(member, "aad_object_id", None) or ""
        me = a.identify(platform=PLATFORM, external_id=(aad or member.id).lower(), lookup=lambda n=name: PersonInfo(n))
        if a.addresses.lookup(me)[0] is None:
            address = address_of(service_url=activity.service_url, tenant_id=tenant, user_id=member.id,
                                 aad_object_id=aad, bot_id=activity.recipient.id)  # fmt: skip
            a.addresses.remember(participant_id=me, address=address, now=now)
        count += 1
    return count
