"""A registration export read into checked registrants: one :class:`Registrant` per good row and one
:class:`Problem` per bad field, naming the row and the column, so an organiser can fix the file.

The file is read by the shared reader (:mod:`bot.sources.tables`); this module knows what the columns mean.
Email addresses are checked with email-validator (syntax only: no DNS look-ups during an import) and never
appear in a message: a problem says what is wrong with the address, not what it is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email

from bot.partnering.participants import LIMITS, MAX_INTEREST_CHARS, MAX_INTERESTS
from bot.sources.tables import CellError, ColumnAliases, ColumnMatch, Table, cell_text, normalise_header, parse_date
from bot.text import clean_input

IMPORTED_FIELDS = ("organisation", "org_type", "role", "offers", "seeks", "interests")
ALIASES = ColumnAliases(
    {
        "name": ["full name", "fullname", "participant", "attendee", "navn", "fullt navn", "deltaker", "deltakernavn"],
        "first_name": ["first name", "firstname", "given name", "fornavn"],
        "last_name": ["last name", "lastname", "surname", "family name", "etternavn"],
        "email": ["e-mail", "email address", "e-mail address", "mail", "e-post", "epost", "e-postadresse", "epostadresse"],
        "organisation": ["organization", "company", "institution", "affiliation", "organisasjon", "firma", "bedrift", "selskap", "virksomhet"],
        "org_type": ["organisation type", "organization type", "org type", "company type", "type", "category", "organisasjonstype", "type organisasjon", "kategori"],
        "role": ["job title", "title", "position", "stilling", "tittel", "rolle", "stillingstittel"],
        "offers": ["offer", "we offer", "offering", "tilbyr", "vi tilbyr", "tilbud"],
        "seeks": ["seek", "looking for", "we seek", "søker", "vi søker", "ser etter"],
        "interests": ["interest", "topics", "keywords", "interesser", "interesse", "tema", "emneord", "stikkord"],
        "blocks": ["availability", "available", "partnering blocks", "blocks", "available blocks", "tilgjengelig", "tilgjengelighet", "partneringblokker", "blokker"],
        "language": ["lang", "preferred language", "språk", "foretrukket språk"],
    }
)  # fmt: skip

ORG_TYPE_WORDS = {
    "startup": ["start-up", "start up", "startup", "oppstart", "oppstartsselskap", "gründer", "grunder", "spin-off", "spinoff"],
    "biotech": ["biotech", "biotechnology", "bioteknologi", "biotek", "bio-tech"],
    "pharma": ["pharma", "pharmaceutical", "pharmaceuticals", "legemiddel", "legemiddelindustri", "legemiddelselskap", "farmasi", "big pharma"],
    "academia": ["academia", "academic", "university", "research", "research institute", "universitet", "akademia", "forskning", "forskningsinstitutt", "høgskole"],
    "hospital": ["hospital", "clinic", "hospital / clinic", "healthcare", "sykehus", "klinikk", "helseforetak", "helse"],
    "investor": ["investor", "investors", "vc", "venture capital", "investment", "investering", "kapital"],
    "public": ["public", "public body", "government", "public sector", "offentlig", "offentlig sektor", "myndighet", "kommune"],
    "other": ["other", "others", "annet", "annen", "andre", "cro", "consultancy", "service provider"],
}  # fmt: skip
_ORG_TYPES = {normalise_header(word): key for key, words in ORG_TYPE_WORDS.items() for word in [key, *words]}
LANGUAGES = {
    normalise_header(word): code
    for code, words in {"en": ["en", "eng", "english", "engelsk", "en-gb", "en-us"],
                        "nb-NO": ["nb", "no", "nn", "nob", "norsk", "bokmål", "nynorsk", "norwegian", "nb-no", "nn-no"]}.items()
    for word in words
}  # fmt: skip
PART_OF_DAY = {
    "morning": (0, 12),
    "formiddag": (0, 12),
    "am": (0, 12),
    "afternoon": (12, 24),
    "ettermiddag": (12, 24),
    "pm": (12, 24),
}


@dataclass(frozen=True)
class BlockInfo:
    """A partnering block as the import needs it: its key, start and the event's zone."""

    key: str
    starts_at: datetime
    timezone: str


@dataclass(frozen=True)
class Registrant:
    """One good row. ``values`` holds the imported profile fields that the row gives (absent ones are not
    touched by a re-import); ``blocks`` the keys of the blocks the person is available for (None: all)."""

    row: int
    name: str
    email: str  # normalised: lower-case, as email-validator writes it
    values: dict[str, object]
    blocks: tuple[str, ...] | None = None
    language: str = ""

    @property
    def email_hash(self) -> str:
        return email_hash(self.email)


@dataclass(frozen=True)
class Problem:
    row: int
    field: str  # the column as written in the file (or the field name when there is no column)
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}" if self.row else f"{self.field}: {self.message}"


@dataclass
class ReadResult:
    rows_read: int
    registrants: list[Registrant] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unrecognised: tuple[str, ...] = ()
    bad_rows: set[int] = field(default_factory=set)


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def normalise_email(text: str) -> str:
    """The address as email-validator normalises it, lower-cased whole (registration forms are case-careless).

    Raises:
        ValueError: not an address; the message says why without repeating it.
    """
    candidate = clean_input(text).strip().strip("<>").strip()
    if not candidate:
        raise ValueError("missing")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        reason = str(error).replace(candidate, "the address")
        raise ValueError(f"not a valid email address ({reason.rstrip('.')})") from None
    return result.normalized.lower()


def org_type_of(text: str) -> str | None:
    """``"Start-up"``, ``"Oppstartsselskap"``, ``"Hospital / clinic"`` -> the stored key; None when unknown."""
    return _ORG_TYPES.get(normalise_header(text))


def read_registrants(
    table: Table, match: ColumnMatch, *, blocks: Sequence[BlockInfo] = (), event_dates: Sequence[date] = ()
) -> ReadResult:
    """Check every row; a row with a problem in a field it needs (name, email) or one that cannot be read as
    written (unknown organisation type or block) is left out and named; good rows become registrants."""
    result = ReadResult(rows_read=len(table.rows), unrecognised=match.unrecognised)
    if "email" not in match.columns:
        result.problems.append(
            Problem(0, "email", 'no column for email addresses (add one, or map it with --column email="Header")')
        )
        return result
    if "name" not in match.columns and not {"first_name", "last_name"} & set(match.columns):
        result.problems.append(Problem(0, "name", 'no column for names (add one, or map it with --column name="Header")'))
        return result
    header = table.header
    seen: dict[str, int] = {}
    for row in table.rows:
        problems: list[Problem] = []

        def bad(field_name: str, message: str, *, row_number: int = row.number, problems: list[Problem] = problems) -> None:
            problems.append(Problem(row_number, match.header_of(field_name, header), message))

        name = clean_input(match.text(row, "name"))[:200]
        if not name:
            name = clean_input(f"{match.text(row, 'first_name')} {match.text(row, 'last_name')}")[:200]
        if not name:
            bad("name" if "name" in match.columns else "first_name", "missing name")
        email = ""
        try:
            email = normalise_email(match.text(row, "email"))
        except ValueError as error:
            bad("email", "missing email address" if str(error) == "missing" else str(error))
        if email:
            if email in seen:
                bad("email", f"the same email address as row {seen[email]} (one row per person; this one is left out)")
            else:
                seen[email] = row.number
        values: dict[str, object] = {}
        for field_name in ("organisation", "role", "offers", "seeks"):
            if field_name in match.columns:
                text = clean_input(match.text(row, field_name), LIMITS[field_name] * 2)
                if len(text) > LIMITS[field_name]:
                    text = text[: LIMITS[field_name]].rstrip()
                values[field_name] = text
        if "org_type" in match.columns:
            raw = match.text(row, "org_type")
            kind = org_type_of(raw) if raw else ""
            if kind is None:
                bad("org_type", f"unknown organisation type; use one of: {', '.join(ORG_TYPE_WORDS)}")
            else:
                values["org_type"] = kind
        if "interests" in match.columns:
            values["interests"] = split_interests(match.text(row, "interests"))
        chosen: tuple[str, ...] | None = None
        if "blocks" in match.columns and match.text(row, "blocks"):
            chosen, unknown = resolve_blocks(match.get(row, "blocks"), blocks=blocks, event_dates=event_dates)
            if unknown:
                known = ", ".join(b.key for b in blocks[:6]) or "none: load the event first"
                bad(
                    "blocks",
                    f"unknown block {', '.join(repr(u) for u in unknown)}; use day 1 morning, a date or a block key ({known})",
                )
        language = ""
        if "language" in match.columns and match.text(row, "language"):
            language = LANGUAGES.get(normalise_header(match.text(row, "language")), "")
            if not language:
                bad("language", "unknown language; use en or nb")
        if problems:
            result.problems.extend(problems)
            result.bad_rows.add(row.number)
            continue
        result.registrants.append(
            Registrant(row=row.number, name=name, email=email, values=values, blocks=chosen, language=language)
        )
    return result


def split_interests(text: str) -> list[str]:
    """Comma- or semicolon-separated tags, cleaned, de-duplicated, at most :data:`MAX_INTERESTS`."""
    seen: dict[str, str] = {}
    for raw in re.split(r"[,;\n|]", text):
        tag = clean_input(raw)[:MAX_INTEREST_CHARS].strip()
        if tag and tag.casefold() not in seen:
            seen[tag.casefold()] = tag
    return list(seen.values())[:MAX_INTERESTS]


def resolve_blocks(
    value: object, *, blocks: Sequence[BlockInfo], event_dates: Sequence[date]
) -> tuple[tuple[str, ...], list[str]]:
    """The block keys a cell names, and the parts it could not read. A cell lists items separated by ``,``
    ``;`` or new lines; each is a block key, ``day 2``, ``day 1 morning``/``dag 1 ettermiddag``, or a date."""
    if isinstance(value, date | datetime | int | float) and not isinstance(value, bool):
        items: Iterable[object] = [value]
    else:
        items = [part.strip() for part in re.split(r"[,;\n]", cell_text(value)) if part.strip()]
    keys: list[str] = []
    unknown: list[str] = []
    by_key = {normalise_header(b.key): b for b in blocks}
    for item in items:
        found = _blocks_for(item, blocks=blocks, by_key=by_key, event_dates=event_dates)
        if found is None:
            unknown.append(clean_input(cell_text(item))[:40])
            continue
        keys.extend(key for key in found if key not in keys)
    return tuple(keys), unknown


def _blocks_for(
    item: object, *, blocks: Sequence[BlockInfo], by_key: Mapping[str, BlockInfo], event_dates: Sequence[date]
) -> list[str] | None:
    def local(block: BlockInfo) -> datetime:
        return block.starts_at.astimezone(ZoneInfo(block.timezone))

    if isinstance(item, str) and normalise_header(item) in by_key:
        return [by_key[normalise_header(item)].key]
    text = item.casefold().strip() if isinstance(item, str) else ""
    if m := re.fullmatch(r"(?:day|dag)\s*(\d{1,2})\.?\s*([a-z]*)", text):
        number, part = int(m[1]), m[2]
        if not 1 <= number <= len(event_dates) or (part and part not in PART_OF_DAY):
            return None
        day = event_dates[number - 1]
        hours = PART_OF_DAY.get(part, (0, 24))
        found = [b.key for b in blocks if local(b).date() == day and hours[0] <= local(b).hour < hours[1]]
        return found or None
    try:
        day = parse_date(item)  # type: ignore[arg-type]
    except CellError:
        return None
    found = [b.key for b in blocks if local(b).date() == day]
    return found or None
