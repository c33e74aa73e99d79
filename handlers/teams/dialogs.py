"""Dialogs (task/fetch, task/submit) where Slack opens modals: the meeting request, the decline reason, the profile.

Validation errors re-open the same dialog with the message above the form and the person's values kept.
"""

from __future__ import annotations

from bot.partnering.participants import ORG_TYPE_LABELS
from handlers.teams.cards import escape, text_block


def _input(kind: str, id_: str, label: str, value: str = "", **extra) -> dict:
    item = {"type": kind, "id": id_, "label": label, **extra}
    if value:
        item["value"] = value
    return item


def _form(title: str, fields: list[dict], *, submit: str, action: str, keep: dict, error: str = "") -> dict:
    body = [text_block(title, weight="Bolder", size="Medium")]
    if error:
        body.append(text_block(error, color="Attention"))
    body.extend(fields)
    return {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": body,
        "actions": [{"type": "Action.Submit", "title": submit, "data": {"action": action, **keep}}],
    }


def meet_form(*, invitee_id: int, invitee_name: str, days: list[tuple[str, str]], values: dict | None = None,
              error: str = "") -> dict:  # fmt: skip
    values = values or {}
    choices = [{"title": "First available", "value": ""}] + [{"title": t, "value": v} for t, v in days]
    fields = [
        _input(
            "Input.Text",
            "topic",
            "Topic",
            values.get("topic", ""),
            isRequired=True,
            maxLength=200,
            placeholder="e.g. TCR platform licensing",
        ),  # fmt: skip
        _input("Input.Text", "message", "Message (optional)", values.get("message", ""), isMultiline=True, maxLength=1000),
        _input("Input.ChoiceSet", "day", "Preferred day", values.get("day", ""), choices=choices, style="compact"),
    ]
    return _form(f"Ask {escape(invitee_name)} for a meeting", fields, submit="Send request", action="meet_submit",
                 keep={"invitee": str(invitee_id)}, error=error)  # fmt: skip


def decline_form(*, request_id: int, values: dict | None = None, error: str = "") -> dict:
    values = values or {}
    fields = [_input("Input.Text", "reason", "Reason (optional, they will see it)", values.get("reason", ""),
                     isMultiline=True, maxLength=500)]  # fmt: skip
    return _form(f"Decline request #{request_id}", fields, submit="Decline", action="decline_submit",
                 keep={"request": str(request_id)}, error=error)  # fmt: skip


def profile_form(*, profile, values: dict | None = None, error: str = "") -> dict:
    values = values or {
        "organisation": profile.organisation, "org_type": profile.org_type, "role": profile.role,
        "offers": profile.offers, "seeks": profile.seeks, "interests": ", ".join(profile.interests),
    }  # fmt: skip
    fields = [
        _input("Input.Text", "organisation", "Organisation", values.get("organisation", ""), maxLength=200),
        _input(
            "Input.ChoiceSet",
            "org_type",
            "Type",
            values.get("org_type", ""),
            style="compact",
            choices=[{"title": label, "value": key} for key, label in ORG_TYPE_LABELS.items()],
        ),  # fmt: skip
        _input("Input.Text", "role", "Role", values.get("role", ""), maxLength=200),
        _input("Input.Text", "offers", "What you offer", values.get("offers", ""), isMultiline=True, maxLength=1000),
        _input("Input.Text", "seeks", "What you seek", values.get("seeks", ""), isMultiline=True, maxLength=1000),
        _input("Input.Text", "interests", "Interests (comma-separated)", values.get("interests", ""), maxLength=700),
    ]
    return _form("Your partnering profile", fields, submit="Save", action="profile_submit", keep={}, error=error)


def announce_form(*, days: list[tuple[str, str]], values: dict | None = None, error: str = "") -> dict:
    """The organiser's composer: the message, who gets it, and optionally when."""
    values = values or {}
    audiences = [{"title": "Everyone at the event", "value": "everyone"}]
    audiences += [{"title": f"People at {label}", "value": value} for label, value in days]
    audiences.append({"title": "Organisation types (below)", "value": "types"})
    fields = [
        _input("Input.Text", "text", "Message", values.get("text", ""), isMultiline=True, maxLength=3000, isRequired=True),
        _input(
            "Input.ChoiceSet", "audience", "Send to", values.get("audience", "everyone"), choices=audiences, style="compact"
        ),  # fmt: skip
        _input("Input.Text", "types", "Organisation types, e.g. pharma, biotech", values.get("types", ""), maxLength=200),
        _input("Input.Text", "at", "Send at (e.g. 2026-12-04 08:00; empty for now)", values.get("at", ""), maxLength=20),
    ]
    return _form("New announcement", fields, submit="Preview", action="announce_submit", keep={}, error=error)


def announce_preview(preview_card: dict, *, draft_id: int, scheduled: bool) -> dict:
    return {**preview_card, "actions": [{"type": "Action.Submit", "title": "Schedule" if scheduled else "Send",
                                         "data": {"action": "announce_send", "draft": str(draft_id)}}]}  # fmt: skip
