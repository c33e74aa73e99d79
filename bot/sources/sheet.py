"""A programme sheet (CSV or XLSX with a header row): columns recognised by their names in English and
Norwegian, dates and times in the usual ways people type them, ``--column title=Session`` for odd names."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from bot.sources.plain import plain_text
from bot.sources.programme import Item, Programme, SourceError
from bot.sources.sheet_rows import Cell, read_rows

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
_MONTHS = {m: n for n, names in enumerate(
    (("jan", "januar", "january"), ("feb", "februar", "february"), ("mar", "mars", "march"), ("apr", "april"),
     ("may", "mai"), ("jun", "juni", "june"), ("jul", "juli", "july"), ("aug", "august"),
     ("sep", "sept", "september"), ("oct", "okt", "october", "oktober"), ("nov", "november"),
     ("dec", "des", "december", "desember")), start=1) for m in names}  # fmt: skip


def _norm(header: str) -> str:
    return re.sub(r"[\s_.\-/]+", "", header.strip().lower())


def map_columns(header: list[str], overrides: dict[str, str], source: str) -> dict[str, int]:
    """field -> column index. ``overrides`` (``--column title=Session``) win over the aliases."""
    index = {_norm(name): i for i, name in reversed(list(enumerate(header))) if name}
    found: dict[str, int] = {}
    for field_name, column in overrides.items():
        if field_name not in ALIASES:
            raise SourceError(f"--column {field_name}=...: unknown field; use one of {', '.join(ALIASES)}")
        if _norm(column) not in index:
            raise SourceError(f"{source}: --column {field_name}={column[:40]}: no column with that name in the header")
        found[field_name] = index[_norm(column)]
    for field_name, names in ALIASES.items():
        if field_name in found:
            continue
        for name in names:
            column = index.get(_norm(name))
            if column is not None and column not in found.values():
                found[field_name] = column
                break
    missing = [f for f in ("title", "date", "start") if f not in found]
    if missing or ("end" not in found and "duration" not in found):
        missing += [] if ("end" in found or "duration" in found) else ["end or duration"]
        raise SourceError(f"{source}: header row: no column for {', '.join(missing)} (found: {', '.join(h for h in header if h)[:200]});"
                          " name it, or map it with --column FIELD=NAME")  # fmt: skip
    return found


def parse_date(value: Cell) -> date | None:
    try:
        return _parse_date(value)
    except ValueError as error:
        if "such as" in str(error):
            raise
        raise ValueError("not a real date (check the day and the month)") from None


def _parse_date(value: Cell) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip().lower().rstrip(".")
    if not text:
        return None
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t].*)?", text):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", text):
        return date(int(m[3]), int(m[2]), int(m[1]))  # 03.12.2026, 03/12/2026: day first, as in Norway
    if m := re.fullmatch(r"(?:[a-zæøå]+\.?,?\s+)?(\d{1,2})\.?\s+([a-zæøå]+)\.?,?\s+(\d{4})", text):
        month = _MONTHS.get(m[2][:3]) or _MONTHS.get(m[2])
        if month:
            return date(int(m[3]), month, int(m[1]))
    if m := re.fullmatch(r"(?:[a-z]+,?\s+)?([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})", text):
        month = _MONTHS.get(m[1][:3]) or _MONTHS.get(m[1])
        if month:
            return date(int(m[3]), month, int(m[2]))
    raise ValueError("not a date such as 2026-12-03, 03.12.2026 or 3 Dec 2026")


def parse_time(value: Cell) -> time | None:
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, float) and 0 <= value < 1:  # an Excel time typed as a number
        minutes = round(value * 24 * 60)
        return time(minutes // 60, minutes % 60)
    text = str(value or "").strip().lower().replace("kl.", "").replace("kl", "").strip()
    if not text:
        return None
    if m := re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?(?::\d{2})?\s*([ap])\.?m\.?", text):
        hours = int(m[1]) % 12 + (12 if m[3] == "p" else 0)
        return time(hours, int(m[2] or 0))
    if m := re.fullmatch(r"(\d{1,2})[:.](\d{2})(?::\d{2})?", text):
        if int(m[1]) < 24 and int(m[2]) < 60:
            return time(int(m[1]), int(m[2]))
    raise ValueError("not a time such as 09:30, 9.30 or 9:30 AM")


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


def _cell(cells: list[Cell], columns: dict[str, int], name: str) -> Cell:
    column = columns.get(name)
    return cells[column] if column is not None and column < len(cells) else None


def _str(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _speakers(text: str, organisation: str) -> list[tuple[str, str]]:
    parts = re.split(r";|\||\n|,(?=\s*[A-ZÆØÅ])| & | og | and ", text)
    names = [re.sub(r"^\d+:", "", n.strip()).strip() for n in parts]  # voctosched's "10:Konrad Meier|11:..."
    names = [n for n in names if n]
    return [(name, organisation) for name in names]


def read_sheet(data: bytes, source: str, *, fmt: str, columns: dict[str, str]) -> Programme:
    sheet = read_rows(data, source, fmt=fmt)
    found = map_columns(sheet.header, columns, source)
    label = "row" if fmt == "xlsx" else "line"
    items: list[Item] = []
    for number, cells in sheet.rows:
        where = f"{label} {number}"
        parsed: dict[str, object] = {}
        for name, parse in (("date", parse_date), ("start", parse_time), ("end", parse_time), ("duration", parse_duration)):
            value = _cell(cells, found, name)
            if name in found and value not in (None, ""):
                try:
                    parsed[name] = parse(value)
                except ValueError as error:
                    raise SourceError(
                        f"{source}: {where}: {sheet.header[found[name]]}: {_str(value)[:30]!r} is {error}"
                    ) from None
        for required in ("date", "start"):
            if parsed.get(required) is None:
                raise SourceError(f"{source}: {where}: {sheet.header[found[required]]}: empty")
        start = datetime.combine(parsed["date"], parsed["start"])  # type: ignore[arg-type]
        if parsed.get("end") is not None:
            end = datetime.combine(parsed["date"], parsed["end"])  # type: ignore[arg-type]
            if end <= start and parsed["end"] <= time(6):  # 23:00-01:00 ends after midnight
                end += timedelta(days=1)
        elif parsed.get("duration") is not None:
            end = start + parsed["duration"]  # type: ignore[operator]
        else:
            raise SourceError(f"{source}: {where}: no end or duration")
        ref = _str(_cell(cells, found, "id")) or f"{_str(_cell(cells, found, 'title'))} {start:%Y-%m-%d %H:%M}"
        items.append(
            Item(
                ref=ref,
                title=_str(_cell(cells, found, "title")),
                start=start,
                end=end,
                where=where,
                room=_str(_cell(cells, found, "room")),
                venue=_str(_cell(cells, found, "venue")),
                kind_hint=_str(_cell(cells, found, "kind")),
                speakers=_speakers(_str(_cell(cells, found, "speakers")), _str(_cell(cells, found, "organisation"))),
                description=plain_text(_str(_cell(cells, found, "description"))),
            )
        )
    return Programme(source=source, items=items)
