"""A programme sheet (CSV or XLSX with a header row): columns recognised by their names in English and
Norwegian, dates and times in the usual ways people type them, ``--column title=Session`` for odd names.
Reading the file (encodings, separators, Excel dates, values only) is the shared ``bot.sources.tables``."""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta

from bot.sources.plain import plain_text
from bot.sources.programme import Item, Programme, SourceError
from bot.sources.tables import Cell, ColumnAliases, TableError, cell_text, parse_date, parse_time, read_table

# field -> the header names that mean it (compared case- and accent-insensitively, spaces and _ ignored)
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "uid", "guid", "key", "nøkkel", "ref", "sessionid"),
    "title": ("title", "tittel", "session", "sessiontitle", "name", "navn", "talk", "foredrag"),
    "date": ("date", "dato", "day date", "dag"),
    "start": ("start", "starttime", "from", "fra", "begin", "time", "tid", "klokkeslett", "uhrzeit"),
    "end": ("end", "endtime", "slutt", "til", "to", "finish"),
    "duration": ("duration", "varighet", "length", "lengde", "minutes", "minutter"),
    "room": ("room", "rom", "sal", "hall", "stage", "scene", "location", "ort"),
    "venue": ("venue", "sted", "building", "bygning", "lokale"),
    "speakers": ("speakers", "speaker", "foredragsholdere", "foredragsholder", "presenter", "presenters", "persons"),
    "organisation": ("organisation", "organization", "organisasjon", "company", "firma", "affiliation"),
    "description": ("description", "beskrivelse", "abstract", "sammendrag", "summary", "details"),
    "kind": ("type", "kind", "format", "track", "spor", "kategori", "category"),
}


def parse_duration(value: Cell) -> timedelta:
    if isinstance(value, time):
        return timedelta(hours=value.hour, minutes=value.minute)
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(minutes=float(value)) if value >= 1 else timedelta(days=float(value))
    text = str(value or "").strip().lower()
    if m := re.fullmatch(r"(\d{1,2}):(\d{2})(?::00)?", text):
        return timedelta(hours=int(m[1]), minutes=int(m[2]))
    if m := re.fullmatch(r"(\d+)\s*(?:m|min|mins|minutes|minutter)?", text):
        return timedelta(minutes=int(m[1]))
    if m := re.fullmatch(r"(\d+(?:[.,]\d+)?)\s*(?:h|t|hours|timer)", text):
        return timedelta(hours=float(m[1].replace(",", ".")))
    raise ValueError("not a duration such as 0:30, 30 or 30 min")


def _speakers(text: str, organisation: str) -> list[tuple[str, str]]:
    parts = re.split(r";|\||\n|,(?=\s*[A-ZÆØÅ])| & | og | and ", text)
    names = [re.sub(r"^\d+:", "", n.strip()).strip() for n in parts]  # voctosched's "10:Konrad Meier|11:..."
    names = [n for n in names if n]
    return [(name, organisation) for name in names]


def read_sheet(data: bytes, source: str, *, fmt: str, columns: dict[str, str]) -> Programme:
    try:
        table = read_table(data, filename=_filename(source, fmt))
        match = ColumnAliases(ALIASES).match(table.header, columns)
    except TableError as error:
        raise SourceError(f"{source}: {error}") from None
    missing = [f for f in ("title", "date", "start") if f not in match.columns]
    if "end" not in match.columns and "duration" not in match.columns:
        missing.append("end or duration")
    if missing:
        shown = ", ".join(h for h in table.header if h)[:200]
        raise SourceError(f"{source}: header row: no column for {', '.join(missing)} (found: {shown});"
                          " name it, or map it with --column FIELD=NAME")  # fmt: skip
    formulas = _formula_cells(data) if fmt == "xlsx" and _has_formulas(data) else {}
    header = table.header
    items: list[Item] = []
    for row in table.rows:
        where = f"row {row.number}"
        for column, value in enumerate(row.cells):
            if value is None and (row.number, column) in formulas:
                raise SourceError(f"{source}: {where}, column {_letter(column)}: a formula without a saved value"
                                  f" ({formulas[(row.number, column)][:40]}); open and save the file in Excel, or paste"
                                  " the values")  # fmt: skip
        parsed: dict[str, object] = {}
        for name, parse in (("date", parse_date), ("start", parse_time), ("end", parse_time), ("duration", parse_duration)):
            value = match.get(row, name)
            if name in match.columns and value not in (None, ""):
                try:
                    parsed[name] = parse(value)
                except ValueError as error:  # CellError is a ValueError
                    shown = cell_text(value)[:30]
                    raise SourceError(
                        f"{source}: {where}: {match.header_of(name, header)}: {shown!r} is not {_help(error)}"
                    ) from None
        for required in ("date", "start"):
            if parsed.get(required) is None:
                raise SourceError(f"{source}: {where}: {match.header_of(required, header)}: empty")
        start = datetime.combine(parsed["date"], parsed["start"])  # type: ignore[arg-type]
        if parsed.get("end") is not None:
            end = datetime.combine(parsed["date"], parsed["end"])  # type: ignore[arg-type]
            if end <= start and parsed["end"] <= time(6):  # 23:00-01:00 ends after midnight
                end += timedelta(days=1)
        elif parsed.get("duration") is not None:
            end = start + parsed["duration"]  # type: ignore[operator]
        else:
            raise SourceError(f"{source}: {where}: no end or duration")
        title = match.text(row, "title")
        ref = match.text(row, "id") or f"{title} {start:%Y-%m-%d %H:%M}"
        items.append(
            Item(
                ref=ref,
                title=title,
                start=start,
                end=end,
                where=where,
                room=match.text(row, "room"),
                venue=match.text(row, "venue"),
                kind_hint=match.text(row, "kind"),
                speakers=_speakers(match.text(row, "speakers"), match.text(row, "organisation")),
                description=plain_text(match.text(row, "description")),
            )
        )
    programme = Programme(source=source, items=items)
    if match.unrecognised:
        programme.skipped.append("columns not used: " + ", ".join(match.unrecognised)[:200])
    return programme


def _filename(source: str, fmt: str) -> str:
    """tables.read_table picks CSV or XLSX by the name; a URL or an odd name gets the format's extension."""
    name = source.split("?")[0].rstrip("/").rsplit("/", 1)[-1] or "programme"
    return name if name.lower().endswith(f".{fmt}") else f"{name}.{fmt}"


def _help(error: ValueError) -> str:
    text = str(error)
    return text.removeprefix("not ").removeprefix("a real ") if text.startswith("not ") else text


def _has_formulas(data: bytes) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(
                b"<f>" in archive.read(name) or b"<f " in archive.read(name)
                for name in archive.namelist()
                if name.startswith("xl/worksheets/")
            )
    except (zipfile.BadZipFile, KeyError):
        return False


def _formula_cells(data: bytes) -> dict[tuple[int, int], str]:
    """(row, column) -> formula text, of the first sheet: Excel saves each formula's last value beside it, and
    that value is what counts (tables reads values only); a formula with none (a file written by a script)
    cannot be read."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=False).worksheets[0]
    return {
        (r, c): value
        for r, record in enumerate(sheet.iter_rows(values_only=True), start=1)
        for c, value in enumerate(record)
        if isinstance(value, str) and value.startswith("=")
    }


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column + 1)
