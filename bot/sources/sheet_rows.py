"""CSV and XLSX to a header and rows: the little the agenda sheet needs.

Stand-in until the shared spreadsheet reader (``bot/sources/tables.py``, written on another branch) lands; the
agenda mapping only calls :func:`read_rows`, so swapping this module for that one changes nothing else.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time

from bot.sources.programme import SourceError

Cell = str | int | float | date | datetime | time | None


@dataclass
class Sheet:
    header: list[str]
    rows: list[tuple[int, list[Cell]]]  # (line or row number as the organiser sees it, cells)


def _decode(data: bytes, source: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SourceError(f"{source}: not text in UTF-8 or Windows-1252")


def read_csv(data: bytes, source: str) -> Sheet:
    text = _decode(data, source)
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0] + "\n", delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[Cell]]] = []
    header: list[str] | None = None
    try:
        for record in reader:
            if header is None:
                if any(cell.strip() for cell in record):
                    header = [cell.strip() for cell in record]
                continue
            if any(cell.strip() for cell in record):
                rows.append((reader.line_num, list(record)))
    except csv.Error as error:
        raise SourceError(f"{source}: line {reader.line_num}: {error}") from None
    if header is None:
        raise SourceError(f"{source}: no header row")
    return Sheet(header=header, rows=rows)


def read_xlsx(data: bytes, source: str) -> Sheet:
    import warnings
    import zipfile

    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it does not read
            # data_only: a formula counts by the value Excel saved with it, never the formula text.
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SourceError(f"{source}: not a readable .xlsx workbook ({type(error).__name__})") from None
    sheet = workbook.worksheets[0]
    formulas = _formula_cells(data) if _has_formulas(data) else {}
    header: list[str] | None = None
    rows: list[tuple[int, list[Cell]]] = []
    for number, record in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = list(record)
        for column, value in enumerate(cells):
            if value is None and (number, column) in formulas:
                raise SourceError(f"{source}: row {number}, column {_letter(column)}: a formula without a saved value"
                                  f" ({formulas[(number, column)][:40]}); open and save the file in Excel, or paste"
                                  " the values")  # fmt: skip
        if not any(c not in (None, "") for c in cells):
            continue
        if header is None:
            header = ["" if c is None else str(c).strip() for c in cells]
            continue
        rows.append((number, cells))
    workbook.close()
    if header is None:
        raise SourceError(f"{source}: the first sheet is empty")
    return Sheet(header=header, rows=rows)


def read_rows(data: bytes, source: str, *, fmt: str) -> Sheet:
    return read_xlsx(data, source) if fmt == "xlsx" else read_csv(data, source)


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
    that value is what counts; a formula with none (a file written by a script) cannot be read."""
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
