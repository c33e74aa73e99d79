"""Replies as the Teams SDK sends them: a message with an Adaptive Card, a dialog, a dialog closed with a line."""

from __future__ import annotations

from microsoft_teams.api import (
    AdaptiveCardAttachment,
    CardTaskModuleTaskInfo,
    MessageActivityInput,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleResponse,
    card_attachment,
)
from microsoft_teams.cards import AdaptiveCard

from bot.replies import Reply
from handlers.teams import cards, lists


def as_card(payload: dict) -> AdaptiveCard:
    return AdaptiveCard.model_validate(payload)


def message(reply: Reply, *, links: tuple[tuple[str, str], ...] = (), source: dict | None = None) -> MessageActivityInput:
    """``source``: the typed line that rebuilds this card after a press on one of its items (see lists)."""
    card = lists.stamp(cards.card(reply, links=links), source)
    return MessageActivityInput(text=reply.text[:500]).add_card(as_card(card))


def dialog(payload: dict, title: str) -> TaskModuleResponse:
    info = CardTaskModuleTaskInfo(title=title, width="medium", height="medium",
                                  card=card_attachment(AdaptiveCardAttachment(content=as_card(payload))))  # fmt: skip
    return TaskModuleResponse(task=TaskModuleContinueResponse(value=info))


def closed(text: str) -> TaskModuleResponse:
    return TaskModuleResponse(task=TaskModuleMessageResponse(value=text))
