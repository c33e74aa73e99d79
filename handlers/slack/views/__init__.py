"""Modal submissions."""

from slack_bolt import App

from handlers.slack.views import announce, partnering


def register(app: App) -> None:
    announce.register(app)
    partnering.register(app)
