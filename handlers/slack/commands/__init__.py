"""Slash commands: /agenda, /venue, /partnerup, partnering: /profile, /partners, /meet, /meetings; /reminders; /privacy."""

from slack_bolt import App

from handlers.slack.commands import agenda, announce, partnering, partnerup, privacy, reminders, session, venue


def register(app: App) -> None:
    announce.register(app)
    session.register(app)
    agenda.register(app)
    venue.register(app)
    partnerup.register(app)
    partnering.register(app)
    reminders.register(app)
    privacy.register(app)
