"""``python -m bot import-agenda SOURCE``: the command line of the agenda import."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import IntegrityError

from bot.clock import SystemClock
from bot.importing import import_agenda
from bot.sources import FORMATS, ImportOptions, SourceError
from bot.sources.fetch import get_source
from storage.db import Database


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "import-agenda", help="import or re-sync the programme from schedule XML/JSON, Indico, .ics, CSV or XLSX"
    )
    parser.add_argument("source", help="a file or an http(s) URL")
    parser.add_argument("--format", default="auto", choices=("auto", *FORMATS), help="auto (default) reads the content")
    parser.add_argument("--dry-run", action="store_true", help="print what would change and change nothing")
    parser.add_argument("--timezone", help="IANA zone for sources without one (else the current event's)")
    parser.add_argument("--venue", help="the venue for rooms the source does not place")
    parser.add_argument("--name", help="the event's name for sources without one (else the file name)")
    parser.add_argument("--replace", action="store_true", help="replace a different event already in the database")
    parser.add_argument("--partnering-kind", metavar="TYPE", help="sessions of this type/track are partnering sessions")
    parser.add_argument("--column", action="append", default=[], metavar="FIELD=NAME",
                        help="spreadsheets: the column NAME holds FIELD (title, date, start, end, duration, room, ...)")  # fmt: skip


def _columns(pairs: list[str]) -> dict[str, str]:
    columns = {}
    for pair in pairs:
        field_name, sep, column = pair.partition("=")
        if not sep or not field_name.strip() or not column.strip():
            raise SourceError(f"--column {pair[:40]!r}: write it as FIELD=NAME, e.g. --column title=Session")
        columns[field_name.strip().lower()] = column.strip()
    return columns


def cmd_import_agenda(settings, args: argparse.Namespace) -> int:
    try:
        options = ImportOptions(timezone=args.timezone, venue=args.venue, name=args.name,
                                partnering_kind=args.partnering_kind, columns=_columns(args.column))  # fmt: skip
        data = get_source(args.source)
        db = Database(settings.database_url)
        db.ensure_schema(migrate_if_new=True)
        result = import_agenda(db, data, source=args.source, clock=SystemClock(), fmt=args.format, options=options,
                               dry_run=args.dry_run, replace=args.replace)  # fmt: skip
    except SourceError as error:
        print(f"partnerup: {error}\nNothing was changed.", file=sys.stderr)
        return 2
    except IntegrityError as error:
        print(f"partnerup: {args.source}: the database refused this change ({type(error.orig).__name__});"
              " nothing was changed.", file=sys.stderr)  # fmt: skip
        return 2
    print("\n".join(result.lines()))
    return 0


def agenda_sync_from(settings, *, db: Database, clock, organisers: frozenset[str]):
    """The worker's live programme source, when AGENDA_SOURCE_URL is set."""
    if not settings.agenda_source_url:
        return None
    from bot.agenda_sync import AgendaSync, SyncSettings

    return AgendaSync(db=db, clock=clock, organisers=organisers, settings=SyncSettings(
        url=settings.agenda_source_url, fmt=settings.agenda_source_format, minutes=settings.agenda_sync_minutes))  # fmt: skip
