"""The assistant's imports desk: organisers bring the programme in from chat (``/session import <url>`` in Slack,
``session import <url>`` in Teams). The answer is the diff the import would apply, with an *Apply* button; the
press applies exactly the file that was previewed. Both doors call these two methods; the import itself is
:func:`bot.importing.import_agenda`, the same one the command line and the live sync use."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from bot.assistant.base import friendly, say
from bot.errors import UserError
from bot.importing import ReplaceNeeded, import_agenda
from bot.replies import Actions, Button, Heading, Paragraph, Reply
from bot.sources import SourceError
from bot.sources.fetch import fetch_url, is_url
from storage.models import ImportPreview

log = logging.getLogger(__name__)

IMPORT_APPLY = "agenda_import_apply"
PREVIEW_FOR = timedelta(minutes=30)
USAGE = (
    "Give the address of the programme export: /session import https://pretalx.example.org/conf/schedule/export/schedule.xml"
)
EXPIRED = "That import preview is out of date (or was applied already); run /session import with the address again."


class ImportsDesk:
    """Mixed into :class:`bot.assistant.Assistant`. Previews are kept in the database for 30 minutes, so the
    *Apply* press works on whichever web process gets it, and applies the file that was previewed or nothing."""

    def preview_import(self, *, external_id: str, text: str) -> Reply:
        """Fetch the programme at the address in ``text`` and show what importing it would change."""

        def run() -> Reply:
            self.check_organiser(external_id)
            words = text.split()
            address = words[0].strip("<>").split("|")[0] if words else ""  # Slack writes links as <url|label>
            if not is_url(address):
                return say(USAGE)
            fetched = fetch_url(address, timeout=15.0)
            assert fetched.data is not None
            result = import_agenda(self.db, fetched.data, source=address, clock=self.clock, dry_run=True)
            if result.nothing_changed:
                return say(f"The programme {result.event_file.event.name} is already up to date: nothing changed.")
            now = self.clock.now()
            with self.db.transaction(write=True) as session:
                session.execute(delete(ImportPreview).where(ImportPreview.created_at < now - PREVIEW_FOR))
                preview = ImportPreview(organiser=external_id[:100], source=address[:2000], data=fetched.data,
                                        created_at=now)  # fmt: skip
                session.add(preview)
                session.flush()
                pending_id = preview.id
            lines = result.lines()[1:]  # without the "Dry run" line: the button says it
            reply = Reply(text=f"Importing {result.event_file.event.name} would change the agenda:")
            reply.add(Heading(f"Import {result.event_file.event.name}?"), Paragraph("\n".join(lines)[:2900]))
            return reply.add(Actions((Button("Apply", IMPORT_APPLY, str(pending_id), "primary"),)))

        return friendly(lambda: self._source_problems(run))

    def apply_import(self, *, external_id: str, pending_id: int) -> Reply:
        """The *Apply* press: import the previewed file; the people affected are told once each. The preview is
        taken in one statement, so two presses (a double click, two organisers) apply it once."""

        def run() -> Reply:
            self.check_organiser(external_id)
            with self.db.transaction(write=True) as session:
                taken = session.execute(
                    delete(ImportPreview)
                    .where(ImportPreview.id == pending_id, ImportPreview.created_at >= self.clock.now() - PREVIEW_FOR)
                    .returning(ImportPreview.organiser, ImportPreview.source, ImportPreview.data, ImportPreview.created_at)
                ).first()
            if taken is None:
                return say(EXPIRED)
            try:
                result = import_agenda(self.db, bytes(taken.data), source=taken.source, clock=self.clock)
            except Exception:  # the import changed nothing (one transaction): the same Apply button works again
                self._put_back(pending_id, taken)
                raise
            log.info("organiser %s imported the programme %s", external_id, result.event_file.event.key)
            return Reply(text="Imported.").add(Paragraph("\n".join(result.lines())[:2900]))

        return self._changing(lambda: self._source_problems(run))

    def _put_back(self, pending_id: int, taken) -> None:
        """A preview whose import failed, back under its number and age (so it still expires on time)."""
        try:
            with self.db.transaction(write=True) as session:
                session.add(ImportPreview(id=pending_id, organiser=taken.organiser, source=taken.source,
                                          data=taken.data, created_at=taken.created_at))  # fmt: skip
        except Exception:  # the database is away too: the organiser runs the import again
            log.warning("could not put back import preview %s after its import failed", pending_id, exc_info=True)

    @staticmethod
    def _source_problems(run) -> Reply:
        try:
            return run()
        except ReplaceNeeded as error:
            return say(
                f"{str(error).split(': ', 1)[-1].replace('add --replace', 'run python -m bot import-agenda with --replace')}"
            )
        except SourceError as error:
            raise UserError(str(error)) from None
