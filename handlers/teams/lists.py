"""Presses on cards that list several things (agenda pages, search results and answers, partner suggestions,
meetings and requests, reminders, announcements): the list must stay usable.

Teams replaces a card with whatever an ``Action.Execute`` answers, so the door cannot answer a press on a list
with the one-line result, as it can for a card about one thing. A card answered to a typed command that only
reads (``agenda …``, ``meetings``, ``partners``, a question …) carries that line in every button's data
(``list``); a press carries out the action, then the same line is run again and the card comes back as it now
is, with the result on top and the pressed item's button changed ("✓ Reminder set"). A list the door cannot
rebuild (a card the worker sent) is left as it is, and the result comes as a message. A result with buttons of
its own (Propose another time's choices) is sent as a new message too, so its buttons can be pressed.
"""

from __future__ import annotations

from bot.agenda.listing import ACTION_PAGE, ACTION_SHARE
from bot.announcements import replies as ar
from bot.partnering import replies as mr
from bot.reminders import replies as rr
from bot.replies import Actions, Note, Reply
from bot.text import clean_input, fold, tokens

MAX_LINE = 500  # a longer line is not carried in the card (the list is then answered with messages)
# Buttons that act on one item of a list; a card with such buttons for two or more items is a list.
ITEM_ACTIONS = frozenset({
    rr.BOOKMARK_ADD, rr.BOOKMARK_REMOVE, mr.REQUEST_MEETING, mr.ACCEPT, mr.DECLINE, mr.PROPOSE, mr.WITHDRAW,
    mr.CANCEL, mr.RESCHEDULE, mr.BLOCK_OFF, mr.BLOCK_ON, ar.CANCEL, ar.RETRY,
})  # fmt: skip
NAVIGATION = frozenset({ACTION_PAGE, ACTION_SHARE})
# After a press, the item's new button says what was done: (the button it has now, its label).
DONE = {rr.BOOKMARK_ADD: (rr.BOOKMARK_REMOVE, "✓ Reminder set"), mr.REQUEST_MEETING: (mr.REQUEST_MEETING, "Requested")}
READ_ONLY = ("agenda", "partners", "meet", "home", "reminders", "help")
OTHER_COMMANDS = ("venue", "venues", "profile", "privacy", "session", "announce", "report", "meetings")


def source_for(line: str, page: int = 1) -> dict | None:
    """What to carry in a card's buttons so a press can rebuild it: ``line`` when running it again only reads
    (a listing or a question), else None."""
    line = clean_input(line).strip()
    if not line or len(line) > MAX_LINE:
        return None
    word, _, rest = line.lstrip("/").partition(" ")
    command, words = fold(word), tokens(rest)
    readable = (
        command in READ_ONLY
        or (command == "meetings" and not words)
        or (command == "announce" and words == ["list"])
        or command not in OTHER_COMMANDS  # a question
    )
    if not readable:
        return None
    return {"line": line, "page": page} if page > 1 else {"line": line}


def source_of(data: dict) -> dict | None:
    """The source a pressed button carried, checked again (the client sends it back: never trusted)."""
    carried = data.get("list")
    if not isinstance(carried, dict) or not isinstance(carried.get("line"), str):
        return None
    page = carried.get("page", 1)
    page = page if isinstance(page, int) and 0 < page < 1000 else 1
    return source_for(carried["line"], page)


def _executes(card: dict) -> list[dict]:
    """The buttons that come back to the door: Action.Execute, and Action.Submit that open a dialog."""
    from handlers.teams.cards import buttons_of

    kinds = ("Action.Execute", "Action.Submit")
    return [b for b in buttons_of(card) if b.get("type") in kinds and isinstance(b.get("data"), dict)]


def is_list(card: dict) -> bool:
    items = {
        str(b["data"].get("value", "")).split(":")[0] for b in _executes(card) if b["data"].get("action") in ITEM_ACTIONS
    }
    return len(items) >= 2


def stamp(card: dict, source: dict | None) -> dict:
    """Mark every button of a list card (``source`` or not) so a press on it keeps the list; a card about one
    thing is left as it is (a press replaces it with its new state)."""
    if source is None and not is_list(card):
        return card
    for button in _executes(card):
        if button["data"].get("action") not in NAVIGATION:
            button["data"]["list"] = dict(source or {})
    return card


def mark_done(card: dict, action: str, value: str) -> dict:
    """The pressed item's button, in the rebuilt card, says what was done."""
    if action not in DONE:
        return card
    now_action, label = DONE[action]
    for button in _executes(card):
        if button["data"].get("action") == now_action and str(button["data"].get("value")) == value:
            button["title"] = label
    return card


def has_buttons(reply: Reply) -> bool:
    return any(isinstance(part, Actions) and part.buttons for part in reply.parts)


def with_result(fresh: Reply, result: Reply) -> Reply:
    """The rebuilt list with the press's result on top."""
    return Reply(text=result.text, parts=[Note(result.text), *fresh.parts], lang=fresh.lang)
