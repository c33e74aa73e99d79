"""The assistant's front door for every adapter: one method per thing a person can ask or do.

Adapters (Slack, console, Teams) hold one :class:`Assistant`, resolve who is talking to a participant ID
with ``identify``, and turn the returned replies into their own format; they never reach into the database
or the event data themselves. Anything a person should be told about a mistake comes back as a reply,
never as an exception. The methods live on one desk per capability; this class puts them behind one door.
"""

from bot.assistant.agenda import AgendaDesk
from bot.assistant.base import NO_EVENT, NOT_ORGANISER, AssistantBase, friendly, say
from bot.assistant.buttons import ButtonsDesk
from bot.assistant.dashboard import DashboardDesk
from bot.assistant.imports import ImportsDesk
from bot.assistant.organisers import OrganisersDesk
from bot.assistant.partnering import PartneringDesk
from bot.assistant.privacy import PrivacyDesk
from bot.assistant.questions import QuestionsDesk
from bot.assistant.reminders import RemindersDesk

__all__ = ["NO_EVENT", "NOT_ORGANISER", "Assistant", "friendly", "say"]


class Assistant(
    AssistantBase,
    AgendaDesk,
    QuestionsDesk,
    RemindersDesk,
    PartneringDesk,
    OrganisersDesk,
    DashboardDesk,
    PrivacyDesk,
    ButtonsDesk,
    ImportsDesk,
):
    """One front door: state and identity from :class:`AssistantBase`, the rest from each capability's desk."""
