"""Events API listeners: the App Home tab and @mentions."""

from slack_bolt import App

from handlers.slack.events import app_home, app_mention


def register(app: App) -> None:
    app_home.register(app)
    app_mention.register(app)
