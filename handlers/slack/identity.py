"""Who is talking: a Slack user ID becomes a participant, created from users.info the first time."""

from __future__ import annotations

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.partnering.participants import PersonInfo

PLATFORM = "slack"


def slack_person(client: WebClient, user_id: str) -> PersonInfo | None:
    """users.info as a :class:`PersonInfo`; None when Slack does not know the user here."""
    try:
        user = client.users_info(user=user_id, include_locale=True)["user"]
    except SlackApiError as error:
        if error.response.get("error") in ("user_not_found", "users_not_found"):
            return None
        raise
    profile = user.get("profile", {})
    # The full name reads better than a nickname in a partnering context.
    name = profile.get("real_name") or user.get("real_name") or profile.get("display_name") or user.get("name") or user_id
    return PersonInfo(
        display_name=name,
        title=profile.get("title", ""),
        timezone=user.get("tz", "") or "",
        is_bot=bool(user.get("is_bot")) or user_id == "USLACKBOT",
        deleted=bool(user.get("deleted")),
        locale=str(user.get("locale") or ""),
        email=str(profile.get("email") or "").lower(),  # with users:read.email: finds their registration, never stored
    )


def valid_user_id(user_id: str) -> bool:
    return bool(user_id) and user_id.isalnum() and user_id[0] in "UW" and len(user_id) <= 20


def participant(context: BoltContext, client: WebClient, user_id: str) -> int:
    """The participant ID for a Slack user.

    Raises:
        bot.errors.NotFound: not a user of this workspace.
    """
    from bot.errors import NotFound

    if not valid_user_id(user_id):
        raise NotFound("That doesn't look like a person in this workspace. Mention them like @name.")
    return context["assistant"].identify(
        platform=PLATFORM, external_id=user_id, lookup=lambda: slack_person(client, user_id)
    )


def optional_participant(context: BoltContext, client: WebClient, user_id: str) -> int | None:
    """The participant when Slack knows them, else None (answers then come without personal buttons)."""
    from bot.errors import UserError

    try:
        return participant(context, client, user_id)
    except (UserError, SlackApiError):
        return None
