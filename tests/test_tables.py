"""The shared spreadsheet reader (bot/sources/tables.py) on files shaped like real exports."""

from __future__ import annotations

import io
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook

from bot.sources.tables import (
    CellError,
    ColumnAliases,
    TableError,
    cell_text,
    detect_separator,
    parse_column_overrides,
    parse_date,
    parse_time,
    read_table,
)

ALIASES = ColumnAliases(
    {
        "name": ["name", "full name", "navn", "fullt navn"],
        "email": ["email", "e-mail", "e-mail address", "e-post", "epost", "e-postadresse"],
        "organisation": ["organisation", "organization", "company", "organisasjon", "firma"],
        "seeks": ["seeks", "looking for", "søker"],
        "day": ["date", "day", "dato"],
    }
)


def xlsx_bytes(rows: list[list[object]], *, number_formats: dict[str, str] | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Påmeldte"
    for row in rows:
        sheet.append(row)
    for cell, fmt in (number_formats or {}).items():
        sheet[cell].number_format = fmt
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_semicolon_csv_with_a_bom_commas_in_text_and_trailing_spaces() -> None:
    text = (
        "\ufeffNavn;E-post ;Organisasjon;Søker\r\n"
        "Åse Bjørnstad ;ASE.Bjornstad@Example.NO;Fjordlab AS;Partners in Oslo, Bergen\r\n"
        ";;;\r\n"
        '"Ole ""Olla"" Nilsen";ole@example.no;Nordic Bio, Inc.;"Investors;\nlicensing"\r\n'
    )
    table = read_table(text.encode("utf-8"), filename="påmeldte.csv")
    assert table.separator == ";" and table.encoding == "utf-8-sig"
    assert table.header == ("Navn", "E-post", "Organisasjon", "Søker")
    assert [row.number for row in table.rows] == [2, 4]  # the blank line 3 is skipped, numbering kept
    assert table.rows[0].cells == ("Åse Bjørnstad", "ASE.Bjornstad@Example.NO", "Fjordlab AS", "Partners in Oslo, Bergen")
    assert table.rows[1].cells[0] == 'Ole "Olla" Nilsen'
    assert table.rows[1].cells[3] == "Investors;\nlicensing"
    match = ALIASES.match(table.header)
    assert match.columns == {"name": 0, "email": 1, "organisation": 2, "seeks": 3}
    assert match.missing == ("day",) and match.unrecognised == ()
    assert match.text(table.rows[0], "organisation") == "Fjordlab AS"


def test_windows_1252_tab_separated_and_comma_files() -> None:
    cp1252 = "Fullt navn\tFirma\nKjærsti Øien\tBlåbær Bio\n".encode("cp1252")
    table = read_table(cp1252, filename="export.txt")
    assert (table.encoding, table.separator) == ("cp1252", "\t")
    assert table.rows[0].cells == ("Kjærsti Øien", "Blåbær Bio")
    comma = read_table(b"Name,Email,Company\nAda,ada@x.org,\nBo,bo@x.org,Lab; Inc\n", filename="a.csv")
    assert comma.separator == ","
    assert comma.rows[0].cells == ("Ada", "ada@x.org", None)
    utf16 = read_table("Name;Company\nÅsa;Lab\n".encode("utf-16"), filename="b.csv")
    assert utf16.rows[0].cells == ("Åsa", "Lab")


def test_short_rows_are_padded_and_the_header_is_the_first_non_empty_line() -> None:
    table = read_table(b"\n\nName,Email,Company\nAda\n", filename="a.csv")
    assert table.header == ("Name", "Email", "Company")
    assert table.rows[0].number == 4 and table.rows[0].cells == ("Ada", None, None)
    assert table.rows[0].cell(7) is None


def test_separator_detection_prefers_consistent_columns_over_commas_in_text() -> None:
    assert detect_separator("a;b;c\nOslo, Norway;2;3\nBergen, Norway;4;5\n") == ";"
    assert detect_separator("a,b\n1,2\n") == ","
    assert detect_separator("a\tb\tc\n1\t2\t3\n") == "\t"
    assert detect_separator("only one column\nvalue\n") == ","


def test_xlsx_with_real_date_cells_serial_numbers_and_numbers_as_text(tmp_path) -> None:
    data = xlsx_bytes(
        [
            ["Name ", "E-mail address (work)", "Dato", "Start", "Org no"],
            ["  Åse Bjørnstad ", "ase@example.no", datetime(2026, 12, 3), time(9, 30), 912345678],
            [None, None, None, None, None],
            ["Ole Nilsen", "ole@example.no", 46360, "9.30", 12.0],
        ],
        number_formats={"C4": "General"},
    )
    path = tmp_path / "registrants.xlsx"
    path.write_bytes(data)
    table = read_table(path)
    assert table.source == "registrants.xlsx" and table.separator is None
    assert table.header == ("Name", "E-mail address (work)", "Dato", "Start", "Org no")
    assert [row.number for row in table.rows] == [2, 4]
    first, second = table.rows
    assert first.cells[0] == "Åse Bjørnstad"
    assert first.cells[2] == date(2026, 12, 3)  # a midnight datetime cell is a date
    assert parse_time(first.cells[3]) == time(9, 30)
    assert cell_text(first.cells[4]) == "912345678" and cell_text(second.cells[4]) == "12"
    assert parse_date(second.cells[2]) == date(2026, 12, 4)  # Excel serial 46360
    match = ALIASES.match(table.header)
    assert match.columns == {"name": 0, "email": 1, "day": 2}
    assert match.unrecognised == ("Start", "Org no")


def test_xlsx_picks_a_named_sheet_and_says_which_sheets_exist() -> None:
    workbook = Workbook()
    workbook.active.title = "Cover"
    workbook.active.append(["Exported 2026-11-30"])
    other = workbook.create_sheet("People")
    other.append(["Navn"])
    other.append(["Kari"])
    out = io.BytesIO()
    workbook.save(out)
    assert read_table(out.getvalue(), filename="x.xlsx", sheet="People").rows[0].cells == ("Kari",)
    with pytest.raises(TableError, match="no sheet called 'Folk'; its sheets are: Cover, People"):
        read_table(out.getvalue(), filename="x.xlsx", sheet="Folk")


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "people.csv", "people.csv is empty \\(0 bytes\\)"),
        (b"\n\n  \n", "people.csv", "has no header row"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "people.xls", "old Excel .xls file"),
        (b"PK\x03\x04garbage", "people.xlsx", "not a valid XLSX file"),
        (b"Name,Email\n", "people.xlsx", "not a valid XLSX file"),
        (b"\x00\x01\x02binary", "people.bin", "not a text \\(CSV\\) file"),
    ],
)
def test_files_that_cannot_be_read_get_one_clear_error(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(TableError, match=message):
        read_table(data, filename=filename)


def test_size_and_row_limits(tmp_path) -> None:
    with pytest.raises(TableError, match=r"big.csv is 2.0 MB; the limit is 1 MB"):
        read_table(b"a\n" + b"x" * 2_097_150, filename="big.csv", max_bytes=1_048_576)
    path = tmp_path / "big.csv"
    path.write_bytes(b"a\n" * 2_000_000)
    with pytest.raises(TableError, match="the limit is 1 MB"):
        read_table(path, max_bytes=1_048_576)
    with pytest.raises(TableError, match="more than 3 rows"):
        read_table(b"a\n1\n2\n3\n4\n", filename="a.csv", max_rows=3)
    with pytest.raises(TableError, match="cannot open missing.csv"):
        read_table(tmp_path / "missing.csv")


def test_headers_match_aliases_ignoring_case_accents_punctuation_and_markers() -> None:
    match = ALIASES.match(["FULL NAME", "E-Mail *", "Sokér", "Organization", "Comments"])
    assert match.columns == {"name": 0, "email": 1, "seeks": 2, "organisation": 3}
    assert match.unrecognised == ("Comments",)
    twice = ALIASES.match(["Navn", "Name"])
    assert twice.columns == {"name": 0} and twice.duplicates == {"Name": "name"}


def test_column_overrides_win_and_bad_overrides_say_what_exists() -> None:
    overrides = parse_column_overrides(["email = Jobb-epost", "NAME=Deltaker"])
    assert overrides == {"email": "Jobb-epost", "name": "Deltaker"}
    match = ALIASES.match(["Deltaker", "E-post", "jobb-epost"], overrides)
    assert match.columns == {"email": 2, "name": 0}
    assert match.unrecognised == ()
    assert match.duplicates == {"E-post": "email"}
    with pytest.raises(TableError, match='no column "Mail". Its columns are: "Deltaker", "E-post"'):
        ALIASES.match(["Deltaker", "E-post"], {"email": "Mail"})
    with pytest.raises(TableError, match="there is no field 'phone'; the fields are name, email"):
        ALIASES.match(["Deltaker"], {"phone": "Deltaker"})
    with pytest.raises(TableError, match="write it as FIELD=Header"):
        parse_column_overrides(["email"])


def test_an_alias_given_to_two_fields_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="both"):
        ColumnAliases({"a": ["x"], "b": ["X"]})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-03", date(2026, 12, 3)),
        ("2026-12-03 09:00", date(2026, 12, 3)),
        ("03.12.2026", date(2026, 12, 3)),
        ("3.12.26", date(2026, 12, 3)),
        ("03/12/2026", date(2026, 12, 3)),
        ("3 Dec 2026", date(2026, 12, 3)),
        ("3. des. 2026", date(2026, 12, 3)),
        ("3. desember 2026", date(2026, 12, 3)),
        ("December 3, 2026", date(2026, 12, 3)),
        ("Thu 3 Dec 2026", date(2026, 12, 3)),
        ("tor. 03.12.2026", date(2026, 12, 3)),
        (" 46359 ", date(2026, 12, 3)),
        ("46359.0", date(2026, 12, 3)),
        (46359, date(2026, 12, 3)),
        (46359.5, date(2026, 12, 3)),
        (datetime(2026, 12, 3, 14, 0), date(2026, 12, 3)),
        (date(2026, 12, 3), date(2026, 12, 3)),
    ],
)
def test_parse_date_reads_the_spellings_exports_use(value, expected) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["", None, "31.02.2026", "3 Decembr 2026", "tomorrow", "12345", 5, True, "2026-13-01"])
def test_parse_date_rejects_with_an_example(value) -> None:
    with pytest.raises(CellError, match="a date like 2026-12-03, 03.12.2026 or 3 Dec 2026"):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("09:30", time(9, 30)),
        ("9.30", time(9, 30)),
        ("9:30 AM", time(9, 30)),
        ("9:30 pm", time(21, 30)),
        ("12:15 a.m.", time(0, 15)),
        ("9 pm", time(21, 0)),
        ("kl. 14.05", time(14, 5)),
        ("0930", time(9, 30)),
        ("17:00:00", time(17, 0)),
        (0.395833333, time(9, 30)),
        (time(9, 30, 0, 5), time(9, 30)),
        (datetime(2026, 12, 3, 9, 30), time(9, 30)),
    ],
)
def test_parse_time_reads_the_spellings_exports_use(value, expected) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize("value", ["", None, "25:00", "9:60", "13 pm", "noon", 3, date(2026, 1, 1)])
def test_parse_time_rejects_with_an_example(value) -> None:
    with pytest.raises(CellError, match="a time like 09:30, 9.30 or 9:30 AM"):
        parse_time(value)
