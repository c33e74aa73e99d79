"""Readers for what organisers bring in from outside. The shared spreadsheet reader (``tables``) gives plain rows
with clear errors; the programme readers bring a programme in from where it already is: frab-family schedule XML and JSON (frab,
pentabarf, pretalx, wafer, c3voc), Indico's JSON export, iCalendar, and CSV/XLSX programme sheets.

Each reader turns its source into a :class:`~bot.sources.programme.Programme` (sessions keyed by the source's
stable id); :func:`read_programme` then builds the same validated :class:`storage.event_file.EventFile` a YAML
file gives, so an import and a YAML load share the loader, its diff and its change notices. Readers know no door
and no database.
"""

from bot.sources.detect import FORMATS, detect_format
from bot.sources.programme import ImportOptions, Programme, SourceError, to_event_file
from bot.sources.read import read_programme

__all__ = [
    "FORMATS",
    "ImportOptions",
    "Programme",
    "SourceError",
    "detect_format",
    "read_programme",
    "to_event_file",
]
