"""Buttons: agenda paging and sharing; partnering requests, answers and meetings."""

from slack_bolt import App

from handlers.slack.actions import agenda, partnering


def register(app: App) -> None:
    agenda.register(app)
    partnering.register(app)
