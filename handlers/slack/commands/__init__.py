"""Slash commands: /agenda, /venue, /partnerup, and partnering: /profile, /partners, /meet, /meetings."""

from slack_bolt import App

from handlers.slack.commands import agenda, partnering, partnerup, venue


def register(app: App) -> None:
    agenda.register(app)
    venue.register(app)
    partnerup.register(app)
    partnering.register(app)
