"""Plain messages: questions in a direct message to the bot."""

from slack_bolt import App

from handlers.slack.messages import direct


def register(app: App) -> None:
    direct.register(app)
