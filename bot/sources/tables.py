"""One reader for the spreadsheets organisers export: CSV (any of ``,`` ``;`` tab, UTF-8 with or without a
BOM, UTF-16, or Windows-1252 from an old Excel) and XLSX (openpyxl, read-only, values only).

A file becomes a :class:`Table`: the header as written and the rows below it with the row number a person
sees in their spreadsheet program, so every error can say "row 14". Columns are found by name through
:class:`ColumnAliases` (English and Norwegian names, case- and accent-insensitive, plus ``--column
field=Header`` overrides); :func:`parse_date` and :func:`parse_time` read the date and time spellings
these exports contain (ISO, Norwegian ``03.12.2026``, ``3 Dec 2026``, Excel serial numbers, real date cells).

Why not pandas: it would be a large dependency for reading a header and a few thousand rows, and it guesses
types (a phone number or an org number becomes a float) where we want the text as typed.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot.errors import UserError

MAX_BYTES = 20 * 1024 * 1024  # a registration export of 20,000 people with long texts is ~10 MB
MAX_ROWS = 100_000
CSV_SEPARATORS = (",", ";", "\t")

Cell = str | int | float | bool | date | datetime | time | None


class TableError(UserError):
    """The file as a whole cannot be read (empty, too big, not a spreadsheet, no header); nothing was read."""


class CellError(ValueError):
    """One value cannot be read as what its column holds; the message says what was expected."""


@dataclass(frozen=True)
class Row:
    """One line of the sheet: ``number`` is the row number the spreadsheet program shows (the header is
    usually row 1), ``cells`` the values in header order (missing trailing cells are ``None``)."""

    number: int
    cells: tuple[Cell, ...]

    def cell(self, index: int | None) -> Cell:
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]


@dataclass(frozen=True)
class Table:
    """A header and the non-empty rows under it. ``source`` is the file name (for messages and provenance),
    ``encoding`` and ``separator`` what was detected for a CSV (``None`` for XLSX)."""

    header: tuple[str, ...]
    rows: tuple[Row, ...]
    source: str = ""
    encoding: str | None = None
    separator: str | None = None


# --------------------------------------------------------------------------------------------- reading


def read_table(
    data: bytes | str | Path,
    *,
    filename: str | None = None,
    sheet: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> Table:
    """Read a CSV or XLSX file (a path, or its bytes with ``filename`` for the format) into a :class:`Table`.

    Raises:
        TableError: the file is empty, larger than ``max_bytes``, has more than ``max_rows`` rows, is not
            CSV or XLSX, or has no header row. The message says what to do.
    """
    if isinstance(data, str | Path):
        path = Path(data)
        filename = filename or path.name
        try:
            size = path.stat().st_size
        except OSError as error:
            raise TableError(f"I cannot open {path.name}: {error.strerror or error}.") from None
        _check_size(size, max_bytes, filename)
        raw = path.read_bytes()
    else:
        raw = bytes(data)
        filename = filename or "upload"
    _check_size(len(raw), max_bytes, filename)
    kind = _kind(raw, filename)
    if kind == "xlsx":
        return _read_xlsx(raw, filename=filename, sheet=sheet, max_rows=max_rows)
    return _read_csv(raw, filename=filename, max_rows=max_rows)


def _check_size(size: int, max_bytes: int, filename: str) -> None:
    if size == 0:
        raise TableError(f"{filename} is empty (0 bytes). Export the sheet again as CSV or XLSX.")
    if size > max_bytes:
        raise TableError(
            f"{filename} is {size / 1_048_576:.1f} MB; the limit is {max_bytes / 1_048_576:.0f} MB. "
            "Remove columns you do not need or split the file."
        )


def _kind(raw: bytes, filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if raw.startswith(b"PK\x03\x04"):
        if suffix in {".ods", ".numbers"}:
            raise TableError(f"{filename} is not CSV or XLSX. Save it as .xlsx or .csv and try again.")
        return "xlsx"
    if raw.startswith(b"\xd0\xcf\x11\xe0"):  # the old binary .xls (OLE2)
        raise TableError(f"{filename} is an old Excel .xls file. Save it as .xlsx or .csv and try again.")
    if suffix in {".xlsx", ".xlsm"}:
        raise TableError(f"{filename} is not a valid XLSX file (it may be damaged). Save it again from Excel, or as CSV.")
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableError(f"{filename} is not a text (CSV) file or an XLSX workbook.")
    return "csv"


def _decode(raw: bytes) -> tuple[str, str]:
    """The text and the encoding's name: a BOM decides; otherwise UTF-8 if it decodes, else Windows-1252
    (what Excel on Windows writes for "CSV" in Western Europe, Norwegian included)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "cp1252"


def detect_separator(text: str) -> str:
    """The separator of a CSV text: of ``,`` ``;`` and tab, the one that splits the first lines into the same
    number (more than one) of columns most often, ties to the most columns. ``csv.Sniffer`` alone picks the
    comma in a ``;`` file whose texts contain commas ("Oslo, Norway"), so its guess only breaks a tie."""
    sample_lines = [line for line in text.splitlines()[:50] if line.strip()][:20]
    sample = "\n".join(sample_lines)
    best: tuple[float, int, int, str] | None = None
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(CSV_SEPARATORS)).delimiter
    except csv.Error:
        sniffed = None
    for separator in CSV_SEPARATORS:
        counts = [len(cells) for cells in csv.reader(io.StringIO(sample), delimiter=separator)]
        if not counts or counts[0] < 2:
            continue
        header_width = counts[0]
        agreeing = sum(1 for count in counts if count == header_width) / len(counts)
        score = (agreeing, header_width, 1 if separator == sniffed else 0, separator)
        if best is None or score[:3] > best[:3]:
            best = score
    return best[3] if best else (sniffed or ",")


def _clean_text(value: str) -> str:
    """Trailing and leading spaces (also no-break spaces) gone; the text otherwise as typed."""
    return value.replace("\u00a0", " ").replace("\ufeff", "").strip()


def _read_csv(raw: bytes, *, filename: str, max_rows: int) -> Table:
    text, encoding = _decode(raw)
    separator = detect_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header: tuple[str, ...] | None = None
    rows: list[Row] = []
    try:
        for number, record in enumerate(reader, start=1):
            cells = tuple(_clean_text(value) or None for value in record)
            if not any(cells):
                continue
            if header is None:
                header = tuple(str(cell or "") for cell in cells)
                continue
            if len(rows) >= max_rows:
                raise TableError(f"{filename} has more than {max_rows:,} rows; split it into smaller files.")
            rows.append(Row(number=number, cells=_pad(cells, len(header))))
    except csv.Error as error:
        raise TableError(f"{filename} could not be read as CSV near row {reader.line_num}: {error}.") from None
    if header is None:
        raise TableError(f"{filename} has no header row (the first line should name the columns).")
    return Table(header=header, rows=tuple(rows), source=filename, encoding=encoding, separator=separator)


def _pad(cells: tuple[Cell, ...], width: int) -> tuple[Cell, ...]:
    return cells + (None,) * (width - len(cells)) if len(cells) < width else cells


def _read_xlsx(raw: bytes, *, filename: str, sheet: str | None, max_rows: int) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise TableError(
            f"{filename} is not a valid XLSX file ({type(error).__name__}). Save it again as .xlsx or CSV."
        ) from None
    try:
        if sheet is not None:
            if sheet not in workbook.sheetnames:
                names = ", ".join(workbook.sheetnames)
                raise TableError(f"{filename} has no sheet called {sheet!r}; its sheets are: {names}.")
            worksheet = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
        header: tuple[str, ...] | None = None
        rows: list[Row] = []
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            cells = tuple(_xlsx_cell(value) for value in values)
            if not any(cell is not None and cell != "" for cell in cells):
                continue
            if header is None:
                header = tuple(cell_text(cell) for cell in cells)
                while header and not header[-1]:
                    header = header[:-1]
                continue
            if len(rows) >= max_rows:
                raise TableError(f"{filename} has more than {max_rows:,} rows; split it into smaller files.")
            rows.append(Row(number=number, cells=_pad(cells, len(header))))
    finally:
        workbook.close()
    if header is None:
        raise TableError(f"{filename} has no header row (the first row should name the columns).")
    return Table(header=header, rows=tuple(rows), source=filename)


def _xlsx_cell(value: object) -> Cell:
    if isinstance(value, str):
        return _clean_text(value) or None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date()
    if value is None or isinstance(value, int | float | bool | date | time):
        return value
    return _clean_text(str(value)) or None  # timedelta, formula errors like "#N/A"


def cell_text(value: Cell) -> str:
    """A cell as text: numbers without a spurious ``.0``, dates as ISO, nothing as ``""``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return _clean_text(str(value))


# --------------------------------------------------------------------------------------------- columns


def normalise_header(name: str) -> str:
    """How headers and aliases are compared: case, accents, punctuation and a trailing ``*`` or
    ``(…)`` ignored, so ``E-post *``, ``e-post`` and ``EPOST`` match, and ``Søker`` matches ``soker``."""
    text = _clean_text(name).casefold()
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)
    text = text.replace("ø", "o").replace("æ", "ae").replace("ß", "ss").replace("đ", "d").replace("ł", "l")
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]+", "", text)


@dataclass(frozen=True)
class ColumnMatch:
    """Which column holds each field (``columns``: field -> index in the header), the headers no field
    claimed (``unrecognised``, shown to the organiser so a typo is noticed), the fields with no column
    (``missing``) and headers that named a field already taken (``duplicates``: header -> field)."""

    columns: dict[str, int]
    unrecognised: tuple[str, ...]
    missing: tuple[str, ...]
    duplicates: dict[str, str] = field(default_factory=dict)

    def get(self, row: Row, field_name: str) -> Cell:
        return row.cell(self.columns.get(field_name))

    def text(self, row: Row, field_name: str) -> str:
        return cell_text(self.get(row, field_name))

    def header_of(self, field_name: str, header: Sequence[str]) -> str:
        index = self.columns.get(field_name)
        return header[index] if index is not None else field_name


class ColumnAliases:
    """The names a logical field goes by, e.g. ``{"email": ["email", "e-mail", "e-post", "epost"]}``.

    Aliases are compared with :func:`normalise_header`, so list each spelling once without worrying about
    case, accents, hyphens or spaces.
    """

    def __init__(self, aliases: Mapping[str, Iterable[str]]) -> None:
        self.fields: tuple[str, ...] = tuple(aliases)
        self._lookup: dict[str, str] = {}
        for field_name, names in aliases.items():
            for name in (field_name, *names):
                key = normalise_header(name)
                owner = self._lookup.setdefault(key, field_name)
                if owner != field_name:
                    raise ValueError(f"alias {name!r} is given for both {owner!r} and {field_name!r}")

    def field_for(self, header: str) -> str | None:
        return self._lookup.get(normalise_header(header))

    def match(self, header: Sequence[str], overrides: Mapping[str, str] | None = None) -> ColumnMatch:
        """Find each field's column. ``overrides`` (field -> header as written, from ``--column``) win over
        aliases; a header named in an override is not matched by alias to another field.

        Raises:
            TableError: an override names a field that does not exist or a header the file does not have.
        """
        overrides = dict(overrides or {})
        columns: dict[str, int] = {}
        taken: set[int] = set()
        by_key: dict[str, list[int]] = {}
        for index, name in enumerate(header):
            by_key.setdefault(normalise_header(name), []).append(index)
        for field_name, wanted in overrides.items():
            if field_name not in self.fields:
                raise TableError(
                    f"--column {field_name}={wanted}: there is no field {field_name!r}; the fields are {', '.join(self.fields)}."
                )
            exact = [index for index, name in enumerate(header) if name == wanted]
            candidates = exact or by_key.get(normalise_header(wanted), [])
            if not candidates:
                shown = ", ".join(f'"{name}"' for name in header if name)
                raise TableError(
                    f'--column {field_name}={wanted}: the file has no column "{wanted}". Its columns are: {shown}.'
                )
            columns[field_name] = candidates[0]
            taken.add(candidates[0])
        unrecognised: list[str] = []
        duplicates: dict[str, str] = {}
        for index, name in enumerate(header):
            if index in taken or not name:
                continue
            field_name = self.field_for(name)
            if field_name is None:
                unrecognised.append(name)
            elif field_name in columns:
                duplicates[name] = field_name
            else:
                columns[field_name] = index
                taken.add(index)
        missing = tuple(field_name for field_name in self.fields if field_name not in columns)
        return ColumnMatch(columns=columns, unrecognised=tuple(unrecognised), missing=missing, duplicates=duplicates)


def parse_column_overrides(specs: Iterable[str]) -> dict[str, str]:
    """``["email=Work e-mail", "name=Full name"]`` -> ``{"email": "Work e-mail", "name": "Full name"}``.

    Raises:
        TableError: a spec without ``=`` or with an empty side.
    """
    overrides: dict[str, str] = {}
    for spec in specs:
        field_name, sep, header = spec.partition("=")
        field_name, header = field_name.strip().lower(), header.strip()
        if not sep or not field_name or not header:
            raise TableError(f'--column {spec}: write it as FIELD=Header, e.g. --column email="Work e-mail".')
        overrides[field_name] = header
    return overrides


# --------------------------------------------------------------------------------------------- dates, times

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan", "januar"),
            ("february", "feb", "februar"),
            ("march", "mar", "mars"),
            ("april", "apr"),
            ("may", "mai"),
            ("june", "jun", "juni"),
            ("july", "jul", "juli"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct", "okt", "oktober"),
            ("november", "nov"),
            ("december", "dec", "des", "desember"),
        ),
        start=1,
    )
    for name in names
}
_EXCEL_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug makes serials from 61 on count from here)
_SERIAL_RANGE = (20_000, 80_000)  # 1954 .. 2119: a plain number outside this is not a date
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun|man|tir|ons|tor|fre|lør|lor|søn|son)[a-zø]*\.?,?\s+)?"


def excel_serial_to_datetime(serial: float) -> datetime:
    """An Excel (1900 date system) serial day number as a naive datetime: 46359 -> 2026-12-03 00:00."""
    return _EXCEL_EPOCH + timedelta(days=float(serial))


def parse_date(value: Cell) -> date:
    """Read a date as registration and programme exports write it.

    Accepts a date or datetime cell, an Excel serial number (as a number or digits, 1954–2119), and the texts
    ``2026-12-03``, ``03.12.2026`` / ``3.12.26``, ``03/12/2026`` (day first, as in Europe), ``3 Dec 2026``,
    ``3. des. 2026``, ``December 3, 2026``, each optionally after a weekday (``Thu 3 Dec 2026``, ``tor. 3.12.2026``).

    Raises:
        CellError: empty or not one of these; the message shows an example of each.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, time):
        raise CellError(_DATE_HELP)
    if isinstance(value, int | float):
        return _serial_date(value)
    text = _clean_text(value).casefold()
    if not text:
        raise CellError(_DATE_HELP)
    if re.fullmatch(r"\d+(?:[.,]0+)?", text) and len(text.split(".")[0].split(",")[0]) == 5:
        return _serial_date(int(re.split(r"[.,]", text)[0]))
    text = re.sub(r"^" + _WEEKDAY, "", text)
    text = re.sub(r"[ t]\d{1,2}[:.]\d{2}(?::\d{2})?.*$", "", text) if re.match(r"\d{4}-\d\d-\d\d[ t]", text) else text
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})", text):
            return date(_year(m[3]), int(m[2]), int(m[1]))
        if m := re.fullmatch(r"(\d{1,2})\.?\s*([a-zæøå]+)\.?,?\s+(\d{4})", text):
            return date(int(m[3]), _month(m[2]), int(m[1]))
        if m := re.fullmatch(r"([a-zæøå]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", text):
            return date(int(m[3]), _month(m[1]), int(m[2]))
    except (KeyError, ValueError):
        pass
    raise CellError(_DATE_HELP)


_DATE_HELP = "a date like 2026-12-03, 03.12.2026 or 3 Dec 2026"


def _year(text: str) -> int:
    return int(text) if len(text) == 4 else 2000 + int(text)


def _month(name: str) -> int:
    return _MONTHS[name.rstrip(".")]


def _serial_date(serial: float) -> date:
    if not _SERIAL_RANGE[0] <= serial <= _SERIAL_RANGE[1]:
        raise CellError(_DATE_HELP)
    return excel_serial_to_datetime(serial).date()


def parse_time(value: Cell) -> time:
    """Read a time of day: ``09:30``, ``9.30``, ``0930``, ``kl. 9.30``, ``9:30 AM``, ``9 pm``, a time or datetime
    cell, or Excel's fraction of a day (0.395833… is 09:30).

    Raises:
        CellError: empty, not a time, or out of range (``25:00``).
    """
    if isinstance(value, datetime):
        return value.time().replace(microsecond=0)
    if isinstance(value, time):
        return value.replace(microsecond=0)
    if isinstance(value, bool) or value is None or isinstance(value, date):
        raise CellError(_TIME_HELP)
    if isinstance(value, int | float):
        if 0 <= value < 1:
            seconds = round(value * 86_400 / 60) * 60
            return time(seconds // 3600 % 24, seconds // 60 % 60)
        raise CellError(_TIME_HELP)
    text = _clean_text(value).casefold()
    text = re.sub(r"^(?:kl\.?|at)\s*", "", text)
    try:
        if m := re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?\s*([ap])\.?\s*m\.?", text):
            hour = int(m[1])
            if not 1 <= hour <= 12:
                raise ValueError
            hour = hour % 12 + (12 if m[4] == "p" else 0)
            return time(hour, int(m[2] or 0))
        if m := re.fullmatch(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?", text):
            return time(int(m[1]), int(m[2]), int(m[3] or 0))
        if m := re.fullmatch(r"(\d{2})(\d{2})", text):
            return time(int(m[1]), int(m[2]))
    except ValueError:
        pass
    raise CellError(_TIME_HELP)


_TIME_HELP = "a time like 09:30, 9.30 or 9:30 AM"


def iter_records(table: Table, match: ColumnMatch) -> Iterator[tuple[Row, dict[str, Cell]]]:
    """Each row with its recognised fields by name (convenience for importers)."""
    for row in table.rows:
        yield row, {field_name: row.cell(index) for field_name, index in match.columns.items()}
