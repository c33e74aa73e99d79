"""@PartnerUp in a channel: answer the question in a thread, so the channel stays readable."""

from slack_bolt import App, BoltContext, Say

from handlers.slack import blocks


def app_mention_callback(event: dict, say: Say, context: BoltContext) -> None:
    reply = context["assistant"].ask(text=event.get("text", ""))  # in a channel: no personal buttons
    say(thread_ts=event.get("thread_ts") or event.get("ts"), **blocks.message(reply, with_share=False))


def register(app: App) -> None:
    app.event("app_mention")(app_mention_callback)
