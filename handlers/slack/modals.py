"""Modals (Block Kit views) for partnering: profile, meeting request, decline reason, another time.

Values read back from a submitted view are re-validated by the core; ``private_metadata``
only carries an ID that the core checks against the person submitting.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot import timefmt
from bot.partnering.participants import LIMITS, ORG_TYPE_LABELS, Profile
from bot.partnering.replies import block_label
from bot.partnering.requests import MESSAGE_LIMIT, REASON_LIMIT, TOPIC_LIMIT
from bot.partnering.views import BlockView
from handlers.slack.blocks import escape

PROFILE = "profile_submit"
MEET = "meet_submit"
DECLINE = "decline_submit"
PROPOSE = "propose_submit"
FIRST_AVAILABLE = "first"


def _text(block_id: str, label: str, *, initial: str = "", limit: int, multiline: bool = False, optional: bool = False,
          placeholder: str | None = None) -> InputBlock:  # fmt: skip
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        element=PlainTextInputElement(
            action_id="value",
            initial_value=initial[:limit] or None,
            multiline=multiline,
            max_length=limit,
            placeholder=placeholder,
        ),
    )


def _option(text: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=text[:75]), value=value)


def profile_modal(profile: Profile, blocks: list[BlockView], timezone: str) -> dict[str, Any]:
    types = [_option(label, key) for key, label in ORG_TYPE_LABELS.items()]
    initial_type = next((o for o in types if o.value == profile.org_type), None)
    elements = [
        _text("organisation", "Organisation", initial=profile.organisation, limit=LIMITS["organisation"]),
        InputBlock(
            block_id="org_type",
            label="Organisation type",
            element=StaticSelectElement(action_id="value", options=types, initial_option=initial_type),
        ),
        _text("role", "Your role", initial=profile.role or profile.title, limit=LIMITS["role"], optional=True),
        _text(
            "offers",
            "What you offer",
            initial=profile.offers,
            limit=LIMITS["offers"],
            multiline=True,
            optional=True,
            placeholder="e.g. a TCR platform for solid tumours, looking to out-license",
        ),  # fmt: skip
        _text(
            "seeks",
            "What you seek",
            initial=profile.seeks,
            limit=LIMITS["seeks"],
            multiline=True,
            optional=True,
            placeholder="e.g. a pharma partner for phase 1, seed investors",
        ),  # fmt: skip
        _text(
            "interests",
            "Interests (comma-separated)",
            initial=", ".join(profile.interests),
            limit=600,
            optional=True,
            placeholder="oncology, cell therapy, digital pathology",
        ),  # fmt: skip
    ]
    if blocks:
        options = [_option(f"{block_label(b, timezone)}", str(b.id)) for b in blocks[:10]]
        available = [o for o, b in zip(options, blocks[:10], strict=False) if not b.unavailable]
        elements.append(
            InputBlock(
                block_id="available",
                label="Meeting blocks you are available for",
                optional=True,
                element=CheckboxesElement(action_id="value", options=options, initial_options=available or None),
            )
        )
    return View(
        type="modal", callback_id=PROFILE, title="Your profile", submit="Save", close="Cancel", blocks=elements
    ).to_dict()


def meet_modal(*, invitee: str | None, topic: str, days: list[date]) -> dict[str, Any]:
    day_options = [_option("First available", FIRST_AVAILABLE)] + [
        _option(f"{timefmt.short_day(d)}", d.isoformat()) for d in days
    ]
    elements = [
        InputBlock(
            block_id="invitee",
            label="Who would you like to meet?",
            element=UserSelectElement(action_id="value", initial_user=invitee or None),
        ),
        _text("topic", "Topic", initial=topic, limit=TOPIC_LIMIT, placeholder="e.g. TCR platform licensing"),
        _text(
            "message",
            "Message",
            limit=MESSAGE_LIMIT,
            multiline=True,
            optional=True,
            placeholder="A few words on why you'd like to meet",
        ),  # fmt: skip
        InputBlock(
            block_id="day",
            label="Preferred day",
            element=StaticSelectElement(action_id="value", options=day_options, initial_option=day_options[0]),
        ),
    ]
    return View(type="modal", callback_id=MEET, title="Request a meeting", submit="Send request", close="Cancel",
                blocks=elements).to_dict()  # fmt: skip


def meet_modal_for(*, participant_id: int, name: str, topic: str, days: list[date]) -> dict[str, Any]:
    """The meeting form for someone who is not in this Slack workspace (they use another chat tool): no user
    picker, the participant travels in ``private_metadata``."""
    view = meet_modal(invitee=None, topic=topic, days=days)
    view["blocks"][0] = SectionBlock(block_id="invitee", text=f"Meeting with *{escape(name)}*").to_dict()
    view["private_metadata"] = f"participant:{participant_id}"
    return view


def decline_modal(*, request_id: int, requester: str, topic: str) -> dict[str, Any]:
    elements = [
        SectionBlock(text=f"Decline the meeting request from *{escape(requester)}* about _{escape(topic)}_?"),
        _text("reason", "Reason (optional, shared with them)", limit=REASON_LIMIT, multiline=True, optional=True),
    ]
    return View(type="modal", callback_id=DECLINE, title="Decline request", submit="Decline", close="Back",
                private_metadata=str(request_id), blocks=elements).to_dict()  # fmt: skip


def propose_modal(*, request_id: int, days: list[date], blocks: list[BlockView], timezone: str) -> dict[str, Any]:
    options = [_option(f"{timefmt.short_day(d)}, first free slot", f"day:{d.isoformat()}") for d in days]
    options += [_option(block_label(b, timezone), f"block:{b.id}") for b in blocks if not b.unavailable]
    elements = [
        InputBlock(block_id="when", label="When?", element=StaticSelectElement(action_id="value", options=options[:100])),
    ]
    return View(type="modal", callback_id=PROPOSE, title="Another time", submit="Propose", close="Cancel",
                private_metadata=str(request_id), blocks=elements).to_dict()  # fmt: skip


def value(view: dict[str, Any], block_id: str) -> Any:
    """The submitted value of an input (text, selected option value, user, or list of checkbox values)."""
    state = view.get("state", {}).get("values", {}).get(block_id, {}).get("value", {})
    kind = state.get("type")
    if kind == "plain_text_input":
        return state.get("value") or ""
    if kind in ("static_select", "radio_buttons"):
        return (state.get("selected_option") or {}).get("value", "")
    if kind == "datepicker":
        return state.get("selected_date") or ""
    if kind == "timepicker":
        return state.get("selected_time") or ""
    if kind == "multi_static_select":
        return [o.get("value", "") for o in state.get("selected_options") or []]
    if kind == "users_select":
        return state.get("selected_user") or ""
    if kind == "checkboxes":
        return [o.get("value", "") for o in state.get("selected_options") or []]
    return state.get("value") or ""
