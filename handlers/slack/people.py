"""The Slack side of the registration list: finding members by email (the :class:`bot.people.accounts.AccountFinder`
port), the *Edit* button on the "filled in from your registration" notice, and ``team_join`` (someone on the list
joined the workspace: link them at once).

Needs the ``users:read.email`` scope (manifest.yml). Calls go through a WebClient with slack-sdk's retry handlers
(:func:`handlers.slack.app.make_client`), so a 429 is waited out for its Retry-After and retried; addresses are
never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.partnering.participants import PersonInfo
from bot.people.accounts import Account
from bot.people.replies import EDIT_PROFILE
from handlers.slack import modals
from handlers.slack.identity import PLATFORM, participant, valid_user_id

log = logging.getLogger(__name__)
PAGE_SIZE = 1000  # users.list's largest page; Slack may send fewer, the cursor says when there are more


def person_of(user: dict) -> PersonInfo:
    """A Slack user object (users.list, users.lookupByEmail, users.info, team_join) as a :class:`PersonInfo`."""
    profile = user.get("profile") or {}
    name = (
        profile.get("real_name")
        or user.get("real_name")
        or profile.get("display_name")
        or user.get("name")
        or user.get("id", "")
    )
    return PersonInfo(
        display_name=str(name),
        title=str(profile.get("title") or ""),
        timezone=str(user.get("tz") or ""),
        is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
        deleted=bool(user.get("deleted")),
        locale=str(user.get("locale") or ""),
        email=str(profile.get("email") or "").lower(),
    )


TIER_2_PER_MINUTE = 20  # users.list
TIER_3_PER_MINUTE = 50  # users.lookupByEmail


class SlackAccounts:
    """Slack members by email: ``users.list`` read once, page by page, for a whole registration list (Tier 2:
    25,000 members are 25 calls), ``users.lookupByEmail`` for one person (Tier 3).

    Calls are paced to stay under those limits (``time_scale`` > 1 speeds the pacing up, for the benchmark
    against a fake Slack whose limits are sped up by the same factor); a 429 that comes anyway is waited out
    by the client's retry handler.
    """

    platform = PLATFORM

    def __init__(self, client: WebClient, *, page_size: int = PAGE_SIZE, time_scale: float = 1.0) -> None:
        from bot.worker import Pacer

        self.client = client
        self.page_size = page_size
        self.pages_read = 0
        self.pace_list = Pacer(TIER_2_PER_MINUTE / 60 * time_scale)
        self.pace_lookup = Pacer(TIER_3_PER_MINUTE / 60 * time_scale)

    def unpaced(self) -> SlackAccounts:
        """No pacing (tests against a fake Slack without limits)."""
        from bot.worker import Pacer

        self.pace_list = self.pace_lookup = Pacer(None)
        return self

    def find_all(self, emails: Collection[str]) -> dict[str, Account]:
        wanted = {email.lower() for email in emails}
        found: dict[str, Account] = {}
        cursor = ""
        while True:
            self.pace_list()
            page = self.client.users_list(
                limit=self.page_size, include_locale=True, **({"cursor": cursor} if cursor else {})
            )
            self.pages_read += 1
            for user in page.get("members") or []:
                info = person_of(user)
                if info.email in wanted and not info.is_bot and not info.deleted and valid_user_id(str(user.get("id", ""))):
                    found[info.email] = Account(PLATFORM, str(user["id"]), info)
            cursor = ((page.get("response_metadata") or {}).get("next_cursor") or "").strip()
            if not cursor or len(found) == len(wanted):
                return found

    def find_one(self, email: str) -> Account | None:
        self.pace_lookup()
        try:
            user = self.client.users_lookupByEmail(email=email)["user"]
        except SlackApiError as error:
            if error.response.get("error") in ("users_not_found", "user_not_found"):
                return None
            raise
        info = person_of(user)
        if info.is_bot or info.deleted:
            return None
        return Account(PLATFORM, str(user["id"]), info)


def edit_profile_callback(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """*Edit* on the notice (a message or App Home): the profile form, as /profile opens it."""
    ack()
    user_id = body.get("user", {}).get("id", "")
    try:
        me = participant(context, client, user_id)
    except Exception:
        log.info("Edit pressed by someone I could not identify")
        return
    assistant = context["assistant"]
    partnering = assistant.partnering
    client.views_open(
        trigger_id=body["trigger_id"],
        view=modals.profile_modal(assistant.profile_of(me), partnering.blocks(participant_id=me), partnering.timezone()),
    )


def team_join_callback(event: dict, client: WebClient, context: BoltContext) -> None:
    """Someone joined the workspace: if the registration list has them, link them now (the worker's retries
    with users.lookupByEmail catch anyone this misses)."""
    user = event.get("user") if isinstance(event.get("user"), dict) else {}
    user_id = str(user.get("id", ""))
    info = person_of(user)
    if not valid_user_id(user_id) or info.is_bot or not info.email:
        return
    assistant = context["assistant"]
    if assistant.people.waiting(info.email):
        assistant.identify(platform=PLATFORM, external_id=user_id, lookup=lambda: info)


def with_registration_notice(view: dict, notice: bool) -> dict:
    """The profile form with "We filled in your profile from your registration; check it." on top."""
    if notice:
        from bot.people.replies import FILLED_IN

        view = {**view, "blocks": [{"type": "section", "text": {"type": "plain_text", "text": FILLED_IN}}, *view["blocks"]]}
    return view


def register(app: App) -> None:
    app.action(EDIT_PROFILE)(edit_profile_callback)
    app.event("team_join")(team_join_callback)
