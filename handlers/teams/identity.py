"""Who is talking in Teams: the participant for an activity's sender, and their 1:1 address for later messages."""

from __future__ import annotations

import asyncio
import logging

from bot.partnering.participants import PersonInfo

PLATFORM = "teams"
log = logging.getLogger(__name__)


def identify(door, activity) -> int:
    """The participant for the sender, keyed by Entra object ID (what TEAMS_ORGANISER_IDS lists); their
    1:1 conversation reference is stored so the worker can message them later."""
    assistant = door.assistant
    person = activity.from_
    external_id = (person.aad_object_id or person.id).lower()
    me = assistant.identify(
        platform=PLATFORM, external_id=external_id,
        lookup=lambda: PersonInfo(display_name=(person.name or member_name(door, activity) or "Teams user")[:200]),
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
        stored, dead = assistant.addresses.lookup(me)  # read every time: the worker may have marked it dead
        if stored != address or dead:
            assistant.addresses.remember(participant_id=me, address=address, now=assistant.clock.now())
    return me


def member_name(door, activity) -> str:
    """The name from the connector's member lookup, for an activity that carries none (called off the loop)."""
    if door.loop is None:
        return ""
    api = door.sdk.api.from_service_url(activity.service_url.rstrip("/")).conversations
    lookup = api.get_member_by_id(activity.conversation.id, activity.from_.id)
    try:
        return asyncio.run_coroutine_threadsafe(lookup, door.loop).result(timeout=3).name or ""
    except Exception:
        log.info("could not look up a Teams member's name")
        return ""


def external_id(activity) -> str:
    return (activity.from_.aad_object_id or activity.from_.id).lower()
