"""The assistant's front door for every adapter: one method per thing a person can ask.

Adapters (Slack, console, later Teams) hold one :class:`Assistant` and turn its replies
into their own format; they never reach into the database or the event data themselves.
"""

from __future__ import annotations

from bot import agenda as agenda_module
from bot import home as home_module
from bot import questions, venues
from bot.catalog import Catalog, EventView, NoEventLoaded
from bot.clock import Clock
from bot.help import help_reply
from bot.replies import Paragraph, Reply
from storage.db import Database

NO_EVENT = "No event is loaded yet. An organiser can load one with `python -m bot load-event FILE`."


class Assistant:
    def __init__(self, *, db: Database, clock: Clock, catalog: Catalog | None = None) -> None:
        self.db = db
        self.clock = clock
        self.catalog = catalog or Catalog(db)

    def event(self) -> EventView:
        return self.catalog.current()

    def _with_event(self, answer) -> Reply:
        try:
            event = self.catalog.current()
        except NoEventLoaded:
            return Reply(text=NO_EVENT).add(Paragraph(NO_EVENT))
        return answer(event)

    def agenda(self, *, text: str, page: int = 1) -> Reply:
        return self._with_event(lambda event: agenda_module.agenda(event, query=text, now=self.clock.now(), page=page))

    def venue(self, *, text: str) -> Reply:
        return self._with_event(lambda event: venues.venues(event, query=text, now=self.clock.now()))

    def ask(self, *, text: str) -> Reply:
        return self._with_event(lambda event: questions.answer(event, question=text, now=self.clock.now()))

    def help(self) -> Reply:
        return self._with_event(help_reply)

    def home(self) -> Reply:
        return self._with_event(lambda event: home_module.home(event, now=self.clock.now()))
