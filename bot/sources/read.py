"""From bytes to the validated event model: pick the reader, read, map."""

from __future__ import annotations

from bot.sources.detect import FORMATS, detect_format
from bot.sources.programme import ImportOptions, Programme, SourceError, to_event_file
from storage.event_file import EventFile

MAX_BYTES = 20 * 1024 * 1024  # a 1,500-session schedule.xml is about 3 MB


def check_size(size: int, source: str, *, limit: int = MAX_BYTES) -> None:
    if size == 0:
        raise SourceError(f"{source}: the file is empty (0 bytes); nothing was changed")
    if size > limit:
        raise SourceError(f"{source}: {size / 1024 / 1024:.0f} MB is more than the {limit // 1024 // 1024} MB a programme"
                          " may be; nothing was changed")  # fmt: skip


def read_programme(
    data: bytes, *, source: str, fmt: str = "auto", options: ImportOptions | None = None
) -> tuple[EventFile, Programme]:
    """Read ``data`` as ``fmt`` (or what its content says) and map it onto the event model.

    Raises:
        SourceError: one line naming the place and the field; nothing has been changed.
    """
    options = options or ImportOptions()
    check_size(len(data), source)
    if fmt == "auto":
        detected = detect_format(data, source)
        if detected is None:
            raise SourceError(f"{source}: cannot tell what format this is; give --format ({'|'.join(FORMATS)})")
        fmt = detected
    if fmt not in FORMATS:
        raise SourceError(f"unknown format {fmt[:30]!r}; use one of {', '.join(FORMATS)}")
    if fmt == "schedule-xml":
        from bot.sources.frab import read_schedule_xml as reader
    elif fmt == "schedule-json":
        from bot.sources.frab import read_schedule_json as reader
    elif fmt == "indico":
        from bot.sources.indico import read_indico as reader
    elif fmt == "ics":
        from bot.sources.ical import read_ics as reader
    else:
        from bot.sources.sheet import read_sheet

        programme = read_sheet(data, source, fmt=fmt, columns=options.columns)
        return to_event_file(programme, options), programme
    if options.columns:
        raise SourceError("--column is for spreadsheets (csv, xlsx) only")
    programme = reader(data, source)
    return to_event_file(programme, options), programme
