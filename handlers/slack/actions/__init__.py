"""Buttons: paging through the agenda and sharing an answer in the channel."""

from slack_bolt import App

from handlers.slack.actions import agenda


def register(app: App) -> None:
    agenda.register(app)
