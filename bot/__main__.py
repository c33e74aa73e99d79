"""PartnerUp's command line, and the one place that wires core, storage and adapters together.

python -m bot                 the console when no Slack token is set, the Slack app otherwise
python -m bot console         the local console (no Slack, no network)
python -m bot serve           every configured door on $PORT (Slack /slack/events, Teams /api/messages)
python -m bot teams-package   build the Teams app package zip
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
from bot.worker import Worker
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
    """Every configured door in one web process on $PORT: Slack when SLACK_BOT_TOKEN is set, Teams when
    TEAMS_APP_ID is set, both when both are."""
    if not settings.slack_configured and not settings.teams_configured:
        return _fail("neither SLACK_BOT_TOKEN nor TEAMS_APP_ID is set; set one or both (see .env.example) "
                     "or try `python -m bot console`")  # fmt: skip
    db = open_database(settings)
    organisers = settings.organiser_ids | settings.teams_organiser_ids
    assistant = Assistant(db=db, clock=SystemClock(), organisers=organisers, limits=limits_from(settings))
    slack_wsgi = teams_door = None
    if settings.slack_configured:
        from handlers.slack.app import build_app, build_wsgi

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
            socket_mode = SocketModeHandler(app, settings.slack_app_token)
            if not settings.teams_configured:
                socket_mode.start()
                return 0
            socket_mode.connect()  # Slack over its socket, Teams over HTTP below
        else:
            slack_wsgi = build_wsgi(app, health=db.ping)
    if settings.teams_configured:
        from handlers.teams.app import TeamsDoor
        from handlers.teams.notifier import TeamsNotifier

        teams_door = TeamsDoor(assistant=assistant, settings=settings)
        assistant.add_notifier("teams", TeamsNotifier(teams_door))
    import uvicorn

    from handlers.asgi import build_asgi

    web = build_asgi(
        health=db.ping, slack_wsgi=slack_wsgi, teams_door=teams_door, published=assistant.published, clock=assistant.clock
    )
    doors = " and ".join(d for d, on in (("Slack (/slack/events)", slack_wsgi), ("Teams (/api/messages)", teams_door)) if on)
    log.info("serving %s on http://0.0.0.0:%s", doors, settings.port)
    uvicorn.run(web, host="0.0.0.0", port=settings.port, log_level="warning", access_log=False)
    return 0


def cmd_worker(settings: Settings, _args: argparse.Namespace) -> int:
    """Send reminders, nudges and every other queued message to Slack users."""
    from handlers.slack.app import make_client
    from handlers.slack.notifier import SlackNotifier

    if not settings.slack_configured and not settings.teams_configured:
        return _fail("neither SLACK_BOT_TOKEN nor TEAMS_APP_ID is set; the worker sends to Slack and Teams users "
                     "(the console runs its own worker)")  # fmt: skip
    db = open_database(settings)
    clock = SystemClock()
    organisers = settings.organiser_ids | settings.teams_organiser_ids
    assistant = Assistant(db=db, clock=clock, organisers=organisers, limits=limits_from(settings))
    if settings.slack_configured:
        assistant.add_notifier(
            "slack", SlackNotifier(make_client(token=settings.slack_bot_token, base_url=settings.slack_api_url))
        )
    if settings.teams_configured:
        from handlers.teams.worker import start_teams_notifier

        assistant.add_notifier("teams", start_teams_notifier(assistant=assistant, settings=settings))
    assistant.deliverer.lease = timedelta(seconds=settings.worker_lease_seconds)
    worker = Worker(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders,
                    announcements=assistant.announcements, rate=settings.worker_rate)  # fmt: skip
    worker.run()
    return 0


def cmd_teams_package(settings: Settings, args: argparse.Namespace) -> int:
    """Build the Teams app package (manifest.json and icons), validated against the shipped schema."""
    from handlers.teams.manifest import ManifestError, build_package

    if not settings.teams_app_id:
        return _fail("TEAMS_APP_ID is not set; the package names the bot by its Microsoft App ID")
    try:
        data = build_package(app_id=settings.teams_app_id, public_url=settings.public_url)
    except ManifestError as error:
        return _fail(str(error))
    with open(args.out, "wb") as out:
        out.write(data)
    print(f"Wrote {args.out} ({len(data)} bytes): upload it in Teams (Apps > Manage your apps > Upload an app).")
    if not settings.public_url.startswith("https://"):
        print(f"Note: PUBLIC_URL is {settings.public_url}; Teams needs an https messaging endpoint.")
    return 0


def cmd_default(settings: Settings, args: argparse.Namespace) -> int:
    serving = settings.slack_configured or settings.teams_configured
    return cmd_serve(settings, args) if serving else cmd_console(settings, args)


COMMANDS = {
    None: cmd_default,
    "console": cmd_console,
    "serve": cmd_serve,
    "worker": cmd_worker,
    "migrate": cmd_migrate,
    "load-event": cmd_load_event,
    "teams-package": cmd_teams_package,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="PartnerUp, the event assistant.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("console", help="talk to the bot in this terminal, no Slack needed")
    sub.add_parser("serve", help="run every configured door (Slack, Teams) on $PORT, or Slack in Socket Mode")
    package = sub.add_parser("teams-package", help="build the Teams app package zip (manifest.json and icons)")
    package.add_argument("--out", default="partnerup-teams.zip", help="where to write the zip")
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
