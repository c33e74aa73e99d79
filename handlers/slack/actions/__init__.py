"""Buttons: agenda paging and sharing; partnering requests, answers and meetings; reminders."""

from slack_bolt import App

from handlers.slack.actions import agenda, agenda_import, announce, partnering, privacy, reminders


def register(app: App) -> None:
    announce.register(app)
    agenda.register(app)
    partnering.register(app)
    reminders.register(app)
    privacy.register(app)
    agenda_import.register(app)
