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
        lookup=lambda: member_person(door, activity),  # with the email or UPN: finds their registration
    )  # fmt: skip
    conversation = activity.conversation
    personal = (conversation.conversation_type or "personal") == "personal"
    tenant = conversation.tenant_id or channel_tenant(activity)
    address = address_of(service_url=activity.service_url, tenant_id=tenant, user_id=person.id,
                         aad_object_id=person.aad_object_id or "", bot_id=activity.recipient.id,
                         conversation_id=conversation.id if personal else "")  # fmt: skip
    assistant.participants.note_locale(me, str(getattr(activity, "locale", None) or ""))  # the client's language now
    stored, dead = assistant.addresses.lookup(me)  # read every time: the worker may have marked it dead
    if personal and (stored != address or dead):
        assistant.addresses.remember(participant_id=me, address=address, now=assistant.clock.now())
    elif not personal and stored is None:
        # Seen only in a team channel or group chat: how to start a 1:1 chat with them (the notifier creates it
        # on the first message and stores it). A stored address, even a dead one, is never replaced from here.
        assistant.addresses.remember(participant_id=me, address=address, now=assistant.clock.now())
    return me


def address_of(*, service_url: str, tenant_id: str, user_id: str, aad_object_id: str, bot_id: str,
               conversation_id: str = "") -> dict:  # fmt: skip
    """How the notifier reaches someone; without ``conversation_id`` it first creates the 1:1 chat
    (POST /v3/conversations with the member and the tenant, as a bot installed in their team may)."""
    return {
        "service_url": service_url.rstrip("/"),
        "conversation_id": conversation_id,
        "tenant_id": tenant_id or "",
        "user_id": user_id,
        "aad_object_id": aad_object_id,
        "bot_id": bot_id,
    }


def channel_tenant(activity) -> str:
    data = activity.channel_data
    return (data.tenant.id if data is not None and data.tenant is not None else "") or ""


def member_person(door, activity) -> PersonInfo:
    """Who wrote, for a first contact: the name from the activity (or the member lookup) and the email or UPN the
    member lookup gives, so a registrant is linked to their registration (docs/import-people.md)."""
    member = member_record(door, activity)
    name = activity.from_.name or (getattr(member, "name", None) if member is not None else "") or "Teams user"
    locale = str(getattr(activity, "locale", None) or "")[:20]  # the Teams client's language, e.g. "nb-NO"
    return PersonInfo(display_name=name[:200], email=member_email(member), locale=locale)


def member_record(door, activity):
    """The connector's record of the sender (GET /v3/conversations/{id}/members/{userId}), called off the loop;
    None when it fails."""
    if door.loop is None:
        return None
    api = door.sdk.api.from_service_url(activity.service_url.rstrip("/")).conversations
    lookup = api.get_member_by_id(activity.conversation.id, activity.from_.id)
    try:
        return asyncio.run_coroutine_threadsafe(lookup, door.loop).result(timeout=3)
    except Exception:
        log.info("could not look up a Teams member")
        return None


def member_email(member) -> str:
    """The member's email, else their user principal name (in many tenants the same), lower-cased; never logged."""
    if member is None:
        return ""
    return str(getattr(member, "email", None) or getattr(member, "user_principal_name", None) or "").strip().lower()


def external_id(activity) -> str:
    return (activity.from_.aad_object_id or activity.from_.id).lower()
