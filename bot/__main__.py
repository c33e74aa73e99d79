"""PartnerUp's command line, and the one place that wires core, storage and adapters together.

python -m bot                 the console when no Slack token is set, the Slack app otherwise
python -m bot console         the local console (no Slack, no network), with a demo cast unless --empty
python -m bot serve           every configured door on $PORT (Slack /slack/events, Teams /api/messages)
python -m bot teams-package   build the Teams app package zip
python -m bot migrate         bring the database schema up to date
python -m bot load-event FILE load or update an event from a YAML file (--start-on DATE moves it)
python -m bot import-agenda SOURCE   import or re-sync the programme (schedule XML/JSON, Indico, .ics, CSV, XLSX)
python -m bot purge [--dry-run]               delete the personal data of events past EVENT_RETENTION_DAYS
python -m bot privacy export|delete --user U123   answer a data request for someone (even if they left Slack)
python -m bot import-people FILE [--dry-run] [--strict] [--column field=Header]   the registration list
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError

from bot.agenda.catalog import NoEventLoaded
from bot.assistant import Assistant
from bot.clock import SystemClock
from bot.config import (
    DASHBOARD,
    EVERYTHING,
    TEAMS_SENDING,
    ConfigError,
    Settings,
    check_needs,
    configure_logging,
    load_settings,
)
from bot.event_setup import demo_notice, ensure_default_event, load_event_file
from bot.heap import settle_after_startup
from bot.import_command import add_parser as add_import_parser
from bot.import_command import agenda_sync_from, cmd_import_agenda
from bot.partnering.requests import Limits
from bot.worker import SharedPacer, Worker
from storage.db import Database, SchemaOutOfDate
from storage.event_file import EventFileError
from storage.event_loader import LoadReport

log = logging.getLogger("partnerup")


def _fail(message: str) -> int:
    print(f"partnerup: {message}", file=sys.stderr)
    return 2


def open_database(settings: Settings, *, url: str | None = None) -> tuple[Database, LoadReport | None]:
    """The database, schema checked; a brand-new one is set up and gets the default event (moved to today
    when its dates have passed; the report says so)."""
    db = Database(url or settings.database_url)
    db.ensure_schema(migrate_if_new=True)
    report = ensure_default_event(db, clock=SystemClock())
    if report is not None:
        log.info("loaded the default event %s into the empty database", report.event_key)
        notice = demo_notice(report, now=SystemClock().now())
        if notice:
            log.info("%s", notice)
    return db, report


def limits_from(settings: Settings) -> Limits:
    return Limits(requests_per_day=settings.requests_per_day, nudge_after=timedelta(hours=settings.nudge_after_hours))


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date as YYYY-MM-DD: {text[:40]!r}") from None


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
        report = load_event_file(db, args.file, clock=SystemClock(), start_on=args.start_on)
    except EventFileError as error:
        return _fail(f"{error}\nNothing was changed.")
    except IntegrityError as error:  # a rule the database keeps that the file check did not foresee
        log.debug("load-event refused by the database", exc_info=True)
        return _fail(f"{args.file}: the database refused this change ({type(error.orig).__name__}); nothing was changed.")
    print("\n".join(report.summary_lines()))
    return 0


def cmd_console(settings: Settings, args: argparse.Namespace) -> int:
    """The console on its own database (``partnerup-console.db`` unless DATABASE_URL says otherwise); a new one
    gets the bundled event and, unless ``--empty``, the demo cast from ``bot/data/demo_cast.yml``."""
    from bot.demo import seed_demo_cast
    from handlers.console.repl import Console

    logging.getLogger("bot.worker").setLevel(logging.WARNING)  # its messages are printed; its counts are noise here
    logging.getLogger("partnerup").setLevel(logging.WARNING)  # the console prints the demo notice itself
    logging.getLogger("bot.partnering.scheduling").setLevel(logging.WARNING)  # it prints a run's result itself
    db, report = open_database(settings, url=settings.console_database_url)
    clock = SystemClock()
    assistant = Assistant(db=db, clock=clock, organisers=frozenset({"*"}), send_now=True, limits=limits_from(settings))
    assistant.public_url = settings.public_url
    assistant.retention_days = settings.event_retention_days
    serve_dashboard_locally(assistant, settings)
    console = Console(assistant)  # brings the console's notifier, so the worker below prints here
    console.worker = Worker(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders,
                            announcements=assistant.announcements, rate=None)  # fmt: skip
    intro = [demo_notice(report, now=clock.now()) or ""]
    if report is not None and not getattr(args, "empty", False):
        seeded = seed_demo_cast(assistant, newcomer=console.me, identify=console.identify)
        intro.append(
            f"Demo cast: {', '.join(seeded.people)} (all fictional) are here; you have a profile, a meeting about to"
            " start and a request waiting. /meetings shows them; `python -m bot console --empty` starts without them."
        )
    elif (over := _over_since(assistant)) is not None:
        intro.append(
            f"The event in this database ended on {over:%a} {over.day} {over:%b}. For a live demo, start afresh: "
            "delete partnerup-console.db (or point DATABASE_URL elsewhere) and run the console again."
        )
    try:
        console.run(sys.stdin, sys.stdout, interactive=sys.stdin.isatty(), intro="\n".join(line for line in intro if line))
    except KeyboardInterrupt:
        print("\nBye.")
    return 0


def serve_dashboard_locally(assistant: Assistant, settings: Settings) -> None:
    """The console's own dashboard on 127.0.0.1:$PORT, so the link from `/report dashboard` opens while it runs."""
    import threading

    from waitress.server import create_server

    from handlers.web.dashboard import DashboardApp

    try:
        server = create_server(DashboardApp(assistant, secret=settings.dashboard_secret), host="127.0.0.1",
                               port=settings.port, threads=2, ident="partnerup")  # fmt: skip
    except OSError as error:
        log.warning("the dashboard is not served (port %s: %s); the console works without it", settings.port, error.strerror)
        return
    logging.getLogger("waitress").setLevel(logging.WARNING)
    threading.Thread(target=server.run, daemon=True, name="dashboard").start()


def _over_since(assistant: Assistant) -> date | None:
    """The last day of the loaded event when all of it is in the past (an old console database), else None."""
    try:
        event = assistant.event()
    except NoEventLoaded:  # the agenda says so itself
        return None
    ends = [session.ends_at for session in event.sessions]
    if not ends or max(ends) > assistant.clock.now():
        return None
    return max(ends).astimezone(event.zone).date()


def cmd_serve(settings: Settings, _args: argparse.Namespace) -> int:
    """Every configured door in one web process on $PORT: Slack when SLACK_BOT_TOKEN is set, Teams when
    TEAMS_APP_ID is set, both when both are; the organisers' dashboard with either."""
    from handlers import web_processes
    from handlers.web import files
    from handlers.web.dashboard import DashboardApp

    if not settings.slack_configured and not settings.teams_configured:
        return _fail("neither SLACK_BOT_TOKEN nor TEAMS_APP_ID is set; set one or both (see .env.example) "
                     "or try `python -m bot console`")  # fmt: skip
    if settings.web_processes > 1 and settings.database_url.startswith("sqlite"):
        return _fail("WEB_PROCESSES above 1 needs PostgreSQL (DATABASE_URL): SQLite has one writer at a time, and "
                     "web processes would queue for it; one process serves a small event well")  # fmt: skip
    listener = web_processes.inherited_socket()  # a child of the supervisor below
    if listener is None and settings.web_processes > 1:
        if settings.socket_mode and not settings.teams_configured:
            log.warning("WEB_PROCESSES is %s, but Slack in Socket Mode alone serves no HTTP: one process runs",
                        settings.web_processes)  # fmt: skip
        else:
            db, _ = open_database(settings)  # set up once, before the children start
            db.dispose()
            return web_processes.supervise(processes=settings.web_processes, port=settings.port)
    db, _ = open_database(settings)
    organisers = settings.organiser_ids | settings.teams_organiser_ids
    assistant = Assistant(db=db, clock=SystemClock(), organisers=organisers, limits=limits_from(settings))
    assistant.public_url = settings.public_url
    assistant.retention_days = settings.event_retention_days
    assistant.holder.start()  # the heartbeat: what this process answered is the worker's within seconds of its death
    slack_wsgi = teams_door = None
    if settings.slack_configured:
        from handlers.slack.app import build_app, build_wsgi

        app = build_app(
            assistant=assistant,
            token=settings.slack_bot_token,
            signing_secret=settings.slack_signing_secret,
            api_url=settings.slack_api_url,
            organiser_usergroup=settings.organiser_usergroup,
            calendar_url=settings.public_url if settings.slack_calendar_links else None,
        )
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("connecting to Slack in Socket Mode")
            socket_mode = SocketModeHandler(app, settings.slack_app_token)
            if not settings.teams_configured:
                settle_after_startup()
                socket_mode.start()
                return 0
            socket_mode.connect()  # Slack over its socket, Teams over HTTP below
        elif not settings.teams_configured:
            # Slack alone: waitress straight onto the WSGI app. Under a burst of a hundred presses it answers in
            # about a third of the time the ASGI host (uvicorn + a2wsgi) takes (bench.burst), so the ASGI host is
            # used only when Teams needs it.
            import waitress

            log.info("serving Slack (/slack/events) on http://0.0.0.0:%s; organisers' dashboard on %s/dashboard",
                     settings.port, settings.public_url)  # fmt: skip
            mounts = {"/dashboard": DashboardApp(assistant, secret=settings.dashboard_secret),
                      **files.mounts(assistant.published, assistant.clock)}  # fmt: skip
            where = {"sockets": [listener]} if listener is not None else {"host": "0.0.0.0", "port": settings.port}
            wsgi = build_wsgi(app, health=db.ping, mounts=mounts)
            settle_after_startup()
            waitress.serve(wsgi, threads=8, ident="partnerup",
                           backlog=web_processes.BACKLOG, **where)  # fmt: skip
            return 0
        else:
            slack_wsgi = build_wsgi(app, health=db.ping)
    if settings.teams_configured:
        from handlers.teams.app import TeamsDoor
        from handlers.teams.notifier import TeamsNotifier

        teams_door = TeamsDoor(assistant=assistant, settings=settings)
        assistant.add_notifier("teams", TeamsNotifier(teams_door))
    import uvicorn

    from handlers.asgi import build_asgi

    mounts = {"/dashboard": DashboardApp(assistant, secret=settings.dashboard_secret)}
    web = build_asgi(health=db.ping, slack_wsgi=slack_wsgi, teams_door=teams_door, published=assistant.published,
                     clock=assistant.clock, mounts=mounts)  # fmt: skip
    doors = " and ".join(d for d, on in (("Slack (/slack/events)", slack_wsgi), ("Teams (/api/messages)", teams_door)) if on)
    log.info("serving %s on http://0.0.0.0:%s; organisers' dashboard on %s/dashboard", doors, settings.port,
             settings.public_url)  # fmt: skip
    settle_after_startup()
    if listener is not None:
        try:
            uvicorn.Server(uvicorn.Config(web, log_level="warning", access_log=False)).run(sockets=[listener])
        except KeyboardInterrupt:  # Ctrl+C reaches every process of the terminal: the supervisor stops the rest
            pass
    else:
        uvicorn.run(web, host="0.0.0.0", port=settings.port, log_level="warning", access_log=False)
    return 0


def cmd_worker(settings: Settings, _args: argparse.Namespace) -> int:
    """Send reminders, nudges and every other queued message to Slack and Teams users."""
    from handlers.slack.app import make_client
    from handlers.slack.notifier import SlackNotifier

    if not settings.slack_configured and not settings.teams_configured:
        return _fail("neither SLACK_BOT_TOKEN nor TEAMS_APP_ID is set; the worker sends to Slack and Teams users "
                     "(the console runs its own worker)")  # fmt: skip
    db, _ = open_database(settings)
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
    # The worker sends one message at a time: its sends are paced by the shared budget, and several threads woken
    # late on a busy machine would reach Slack together, above the workspace's burst (tests/test_shared_pacing.py).
    assistant.deliverer.send_threads = 1
    assistant.retention_days = settings.event_retention_days
    worker = Worker(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders,
                    announcements=assistant.announcements, rate=settings.worker_rate,
                    privacy=assistant.privacy, pacer=SharedPacer(db, settings.worker_rate),
                    agenda_sync=agenda_sync_from(settings, db=db, clock=clock, organisers=organisers))  # fmt: skip
    if settings.slack_configured:
        from bot.people.retries import LinkRetries
        from handlers.slack.people import SlackAccounts

        finder = SlackAccounts(make_client(token=settings.slack_bot_token, base_url=settings.slack_api_url))
        worker.link_retries = LinkRetries(people=assistant.people, finders=[finder])
    settle_after_startup()
    worker.run()
    return 0


def cmd_schedule(settings: Settings, args: argparse.Namespace) -> int:
    """A scheduling run from the command line: the optimiser places every accepted, unplaced request."""
    from bot.partnering.replies import schedule_all_reply
    from handlers.console.render import render

    if args.time_limit <= 0:
        return _fail("--time-limit must be a positive number of seconds")
    from bot.errors import UserError

    assistant = _assistant(settings)
    try:
        report = assistant.floor.schedule_all(time_limit=args.time_limit, reoptimise=args.reoptimise)
    except UserError as error:  # no event loaded, or bookings kept racing the run
        return _fail(str(error))
    print(render(schedule_all_reply(report), with_share=False)[0])
    return 0


def _assistant(settings: Settings) -> Assistant:
    db, _ = open_database(settings)
    assistant = Assistant(db=db, clock=SystemClock(), organisers=settings.organiser_ids, limits=limits_from(settings))
    assistant.retention_days = settings.event_retention_days
    return assistant


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    """Retention now, as the worker does daily; ``--dry-run`` only says what would go."""
    report = _assistant(settings).privacy.purge(dry_run=args.dry_run)
    print("\n".join(report.lines()))
    return 0


def cmd_privacy(settings: Settings, args: argparse.Namespace) -> int:
    """An organiser answers a data request, also for someone no longer in Slack. Notices of a deletion are queued
    for the worker to send."""
    from bot.errors import NotFound
    from bot.privacy.data import export_json

    assistant = _assistant(settings)
    pid = assistant.privacy.find(platform=args.platform, external_id=args.user)
    if pid is None:
        return _fail(f"no data is kept about {args.platform} user {args.user}")
    if args.action == "export":
        content = export_json(assistant.privacy.export(pid))
        if args.out:
            with open(args.out, "wb") as file:
                file.write(content)
            print(f"Wrote the data of {args.user} to {args.out}.")
        else:
            sys.stdout.write(content.decode("utf-8") + "\n")
        return 0
    if not args.yes:
        return _fail(f"this erases everything about {args.user} and tells the people they were to meet; "
                     "add --yes to go ahead")  # fmt: skip
    try:
        result = assistant.privacy.delete(pid)
    except NotFound as error:
        return _fail(str(error))
    r = result.released
    print(f"Deleted the data of {args.user}: {r.withdrawn} request(s) withdrawn, {r.declined} declined, "
          f"{r.cancelled} meeting(s) cancelled, {result.dropped_messages} queued message(s) dropped. "
          "The worker sends the notices to the other people.")  # fmt: skip
    return 0


def cmd_import_people(settings: Settings, args: argparse.Namespace) -> int:
    """Import the registration list and link the registrants to Slack members by email (see docs/import-people.md)."""
    from bot.sources.tables import TableError

    db = Database(settings.database_url)
    db.ensure_schema(migrate_if_new=True)
    assistant = Assistant(db=db, clock=SystemClock(), organisers=settings.organiser_ids)
    finders = []
    if settings.slack_configured and not args.dry_run and not args.no_link:
        from handlers.slack.app import make_client
        from handlers.slack.people import SlackAccounts

        finders.append(SlackAccounts(make_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)))
    try:
        summary = assistant.people.import_file(args.file, columns=args.column or (), dry_run=args.dry_run,
                                               strict=args.strict, finders=finders, sheet=args.sheet)  # fmt: skip
    except TableError as error:
        return _fail(f"{error} Nothing was changed.")
    print("\n".join(summary.lines()))
    if summary.applied and not finders:
        print("No chat door is configured here (SLACK_BOT_TOKEN): people are linked when they first write to the bot.")
    return 1 if summary.problems else 0  # 1: some rows have problems (listed above); 2: the file could not be read


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


# The secrets each command uses: only these are required (teams-package, migrate and the rest need none).
NEEDS = {"serve": EVERYTHING, "console": frozenset({DASHBOARD}), "worker": frozenset({TEAMS_SENDING})}


def needs_of(command: str | None, settings: Settings) -> frozenset[str]:
    if command is None:
        command = "serve" if settings.slack_configured or settings.teams_configured else "console"
    return NEEDS.get(command, frozenset())


COMMANDS = {
    None: cmd_default,
    "console": cmd_console,
    "serve": cmd_serve,
    "worker": cmd_worker,
    "migrate": cmd_migrate,
    "load-event": cmd_load_event,
    "purge": cmd_purge,
    "privacy": cmd_privacy,
    "teams-package": cmd_teams_package,
    "schedule": cmd_schedule,
    "import-agenda": cmd_import_agenda,
    "import-people": cmd_import_people,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="PartnerUp, the event assistant.")
    sub = parser.add_subparsers(dest="command")
    console = sub.add_parser("console", help="talk to the bot in this terminal, no Slack needed")
    console.add_argument("--empty", action="store_true", help="a new console database without the demo cast")
    sub.add_parser("serve", help="run the Slack app (HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN)")
    package = sub.add_parser("teams-package", help="build the Teams app package zip (manifest.json and icons)")
    package.add_argument("--out", default="partnerup-teams.zip", help="where to write the zip")
    sub.add_parser("worker", help="send reminders and queued messages (one or more replicas)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    load = sub.add_parser("load-event", help="load or update an event from a YAML file")
    load.add_argument("file")
    load.add_argument("--start-on", type=_iso_day, metavar="DATE",
                      help="move the event by whole days so that day 1 is DATE (YYYY-MM-DD), e.g. for a rehearsal")  # fmt: skip
    schedule = sub.add_parser("schedule", help="place every accepted, unplaced meeting with the schedule optimiser")
    schedule.add_argument("--time-limit", type=float, default=60.0, help="seconds for the solver (default 60)")
    schedule.add_argument("--reoptimise", action="store_true",
                          help="let confirmed meetings move too (both people are told once)")  # fmt: skip
    add_import_parser(sub)
    purge = sub.add_parser("purge", help="delete the personal data of events past EVENT_RETENTION_DAYS")
    purge.add_argument("--dry-run", action="store_true", help="only show what would be deleted")
    privacy = sub.add_parser("privacy", help="export or delete one person's data (a data request)")
    privacy.add_argument("action", choices=("export", "delete"))
    privacy.add_argument("--user", required=True, help="their platform user ID, e.g. U123ABC")
    privacy.add_argument("--platform", default="slack", help="slack (default) or console")
    privacy.add_argument("--out", help="export: write the JSON here instead of printing it")
    privacy.add_argument("--yes", action="store_true", help="delete: confirm")
    people = sub.add_parser("import-people", help="import the registration list (CSV or XLSX) and link people by email")
    people.add_argument("file")
    people.add_argument("--dry-run", action="store_true", help="check the file and show what would change; change nothing")
    people.add_argument("--strict", action="store_true", help="import nothing when any row has a problem")
    people.add_argument(
        "--column", action="append", metavar="FIELD=Header", help='map an odd header, e.g. --column email="Work e-mail"'
    )
    people.add_argument("--sheet", help="XLSX: the sheet to read (default: the first)")
    people.add_argument("--no-link", action="store_true", help="import only; do not look people up in Slack now")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(needs=())
        check_needs(settings, needs_of(args.command, settings))
    except ConfigError as error:
        return _fail(str(error))
    configure_logging(settings)
    try:
        return COMMANDS[args.command](settings, args)
    except SchemaOutOfDate as error:
        return _fail(str(error))


if __name__ == "__main__":
    sys.exit(main())
