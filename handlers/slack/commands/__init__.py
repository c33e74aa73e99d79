"""Slash commands: /agenda, /venue, /partnerup."""

from slack_bolt import App

from handlers.slack.commands import agenda, partnerup, venue


def register(app: App) -> None:
    agenda.register(app)
    venue.register(app)
    partnerup.register(app)
