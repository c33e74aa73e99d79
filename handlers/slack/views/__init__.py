"""Modal submissions."""

from slack_bolt import App

from handlers.slack.views import partnering


def register(app: App) -> None:
    partnering.register(app)
