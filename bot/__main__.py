"""PartnerUp's command line, and the one place that wires core, storage and adapters together.

python -m bot                 the console when no Slack token is set, the Slack app otherwise
python -m bot console         the local console (no Slack, no network)
python -m bot serve           the Slack app: HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN
python -m bot migrate         bring the database schema up to date
python -m bot load-event FILE load or update an event from a YAML file
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from bot.assistant import Assistant
from bot.clock import SystemClock
from bot.config import ConfigError, Settings, configure_logging, load_settings
from bot.event_setup import ensure_default_event, load_event_file
from bot.partnering.requests import Limits
from bot.worker import SharedPacer, Worker
from storage.db import Database, SchemaOutOfDate
from storage.event_file import EventFileError

log = logging.getLogger("partnerup")


def _fail(message: str) -> int:
    print(f"partnerup: {message}", file=sys.stderr)
    return 2


def open_database(settings: Settings) -> Database:
    """The database, schema checked; a brand-new one is set up and gets the default event."""
    db = Database(settings.database_url)
    db.ensure_schema(migrate_if_new=True)
    report = ensure_default_event(db, clock=SystemClock())
    if report is not None:
        log.info("loaded the default event %s into the empty database", report.event_key)
    return db


def limits_from(settings: Settings) -> Limits:
    return Limits(requests_per_day=settings.requests_per_day, nudge_after=timedelta(hours=settings.nudge_after_hours))


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    db = Database(settings.database_url)
    before = db.current_revision()
    db.migrate()
    after = db.current_revision()
    print(
        f"Database schema: {before or 'empty'} -> {after}"
        if before != after
        else f"Database schema is up to date ({after})."
    )
    return 0


def cmd_load_event(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.database_url)
    db.ensure_schema(migrate_if_new=True)
    try:
        report = load_event_file(db, args.file, clock=SystemClock())
    except EventFileError as error:
        return _fail(f"{error}\nNothing was changed.")
    except IntegrityError as error:  # a rule the database keeps that the file check did not foresee
        log.debug("load-event refused by the database", exc_info=True)
        return _fail(f"{args.file}: the database refused this change ({type(error.orig).__name__}); nothing was changed.")
    print("\n".join(report.summary_lines()))
    return 0


def cmd_console(settings: Settings, _args: argparse.Namespace) -> int:
    from handlers.console.repl import Console

    db = open_database(settings)
    assistant = Assistant(
        db=db, clock=SystemClock(), organisers=frozenset({"*"}), send_now=True, limits=limits_from(settings)
    )
    logging.getLogger("bot.worker").setLevel(logging.WARNING)  # its messages are printed; its counts are noise here
    console = Console(assistant)  # brings the console's notifier, so the worker below prints here
    console.worker = Worker(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders,
                            announcements=assistant.announcements, rate=None)  # fmt: skip
    try:
        console.run(sys.stdin, sys.stdout, interactive=sys.stdin.isatty())
    except KeyboardInterrupt:
        print("\nBye.")
    return 0


def cmd_serve(settings: Settings, _args: argparse.Namespace) -> int:
    from handlers.slack.app import build_app, build_wsgi

    if not settings.slack_configured:
        return _fail("SLACK_BOT_TOKEN is not set; set it (see .env.example) or try `python -m bot console`")
    db = open_database(settings)
    assistant = Assistant(db=db, clock=SystemClock(), organisers=settings.organiser_ids, limits=limits_from(settings))
    app = build_app(
        assistant=assistant,
        token=settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret,
        api_url=settings.slack_api_url,
        organiser_usergroup=settings.organiser_usergroup,
    )
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("connecting to Slack in Socket Mode")
        SocketModeHandler(app, settings.slack_app_token).start()
        return 0
    import waitress

    log.info("serving Slack requests on http://0.0.0.0:%s/slack/events", settings.port)
    waitress.serve(build_wsgi(app, health=db.ping), host="0.0.0.0", port=settings.port, threads=8, ident="partnerup")
    return 0


def cmd_worker(settings: Settings, _args: argparse.Namespace) -> int:
    """Send reminders, nudges and every other queued message to Slack users."""
    from handlers.slack.app import make_client
    from handlers.slack.notifier import SlackNotifier

    if not settings.slack_configured:
        return _fail("SLACK_BOT_TOKEN is not set; the worker sends to Slack (the console runs its own worker)")
    db = open_database(settings)
    clock = SystemClock()
    assistant = Assistant(db=db, clock=clock, organisers=settings.organiser_ids, limits=limits_from(settings))
    assistant.add_notifier(
        "slack", SlackNotifier(make_client(token=settings.slack_bot_token, base_url=settings.slack_api_url))
    )
    assistant.deliverer.lease = timedelta(seconds=settings.worker_lease_seconds)
    worker = Worker(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders,
                    announcements=assistant.announcements, rate=settings.worker_rate,
                    pacer=SharedPacer(db, settings.worker_rate))  # fmt: skip
    worker.run()
    return 0


def cmd_default(settings: Settings, args: argparse.Namespace) -> int:
    return cmd_serve(settings, args) if settings.slack_configured else cmd_console(settings, args)


COMMANDS = {
    None: cmd_default,
    "console": cmd_console,
    "serve": cmd_serve,
    "worker": cmd_worker,
    "migrate": cmd_migrate,
    "load-event": cmd_load_event,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="PartnerUp, the event assistant.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("console", help="talk to the bot in this terminal, no Slack needed")
    sub.add_parser("serve", help="run the Slack app (HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN)")
    sub.add_parser("worker", help="send reminders and queued messages (one or more replicas)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    load = sub.add_parser("load-event", help="load or update an event from a YAML file")
    load.add_argument("file")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        return _fail(str(error))
    configure_logging(settings)
    try:
        return COMMANDS[args.command](settings, args)
    except SchemaOutOfDate as error:
        return _fail(str(error))


if __name__ == "__main__":
    sys.exit(main())
