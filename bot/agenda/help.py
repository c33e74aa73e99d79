"""``/partnerup help``: what the bot can do, in one screen."""

from __future__ import annotations

from bot.agenda.catalog import EventView
from bot.replies import Heading, Note, Paragraph, Reply

COMMANDS = (
    ("/agenda", "today's programme, or the next event day's"),
    ("/agenda day 2 · tomorrow · friday", "one day's programme"),
    ("/agenda now · next", "what is on now, and what starts next"),
    ("/agenda <words>", "search titles, speakers, organisations, topics, venues"),
    ("/venue", "the venues; /venue <name or day> for address, map and directions"),
    ("/profile", "your partnering profile: organisation, what you offer and seek"),
    ("/partners [words]", "suggested partners, or a search of profiles"),
    ("/meet @person <topic>", "ask someone for a 1:1 partnering meeting"),
    ("/meetings", "your meetings and requests: accept, decline, reschedule, cancel"),
    ("/reminders", "what you'll be reminded of, and how early"),
    ("/partnerup help", "this overview"),
)


def commands_text() -> str:
    return "\n".join(f"{command}: {what}" for command, what in COMMANDS)


def help_reply(event: EventView) -> Reply:
    reply = Reply(text=f"PartnerUp helps you at {event.name}.")
    reply.add(Heading(f"PartnerUp, your assistant at {event.name}"))
    reply.add(Paragraph(commands_text()))
    reply.add(
        Paragraph(
            "You can also ask me in a direct message or with an @mention, for example "
            '"when does Olweus speak?", "where is day 2?" or "what\'s on after lunch?".'
        )
    )
    reply.add(Note("Replies to commands are only visible to you; use Share in channel to post one."))
    return reply
