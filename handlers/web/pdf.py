"""Printable schedules as real PDFs (reportlab), A4: a page per table to put on the table, a page per person
for the help desk. Drawn straight on the canvas (no layout engine) so 400 tables print in seconds; columns are
sized from the text they hold (``stringWidth``) and anything wider than its column wraps onto further lines
(``simpleSplit``), so no time span, place, name or organisation is ever cut, whatever the font."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import reportlab
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from bot import timefmt
from bot.dashboard.views import BlockPlan, Booking, Plan, Table

WIDTH, HEIGHT = A4
MARGIN = 42
TEXT_WIDTH = WIDTH - 2 * MARGIN
GAP = 10  # between columns


@dataclass(frozen=True)
class Fonts:
    """A Unicode TrueType pair (regular and bold), so names such as Bjørn, Łukasz or Zoë print as typed."""

    name: str
    regular_file: Path
    bold_file: Path

    @property
    def regular(self) -> str:
        return f"PartnerUp-{self.name}"

    @property
    def bold(self) -> str:
        return f"PartnerUp-{self.name}-Bold"

    def installed(self) -> bool:
        return self.regular_file.exists() and self.bold_file.exists()

    def register(self) -> Fonts:
        if self.regular not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(self.regular, str(self.regular_file)))
            pdfmetrics.registerFont(TTFont(self.bold, str(self.bold_file)))
        return self


_REPORTLAB_FONTS = Path(reportlab.__file__).parent / "fonts"
FONTS = (
    Fonts("DejaVu", Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
          Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
    Fonts("Vera", _REPORTLAB_FONTS / "Vera.ttf", _REPORTLAB_FONTS / "VeraBd.ttf"),
)  # fmt: skip


def system_fonts() -> Fonts:
    """DejaVu Sans when the system has it, else the Vera that ships with reportlab."""
    for fonts in FONTS:
        if fonts.installed():
            return fonts
    raise RuntimeError("no TrueType font found for the PDF schedules")


@functools.lru_cache(maxsize=65536)
def fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut (with an ellipsis) to fit ``width`` points: only for the running header and footer."""
    text = " ".join(text.split())
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[: max(0, len(text) - max(1, len(text) // 10))] if len(text) > 20 else text[:-1]
    return text + "…"


@functools.lru_cache(maxsize=65536)
def wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """``text`` as the lines that fit ``width`` points, broken between words (a word wider than the column on its
    own is broken after a hyphen, or else between letters); cached, as the same names, places and times recur on many pages."""
    text = " ".join(text.split())
    if not text:
        return ()
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return (text,)
    lines: list[str] = []
    for line in simpleSplit(text, font, size, width):
        while pdfmetrics.stringWidth(line, font, size) > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and pdfmetrics.stringWidth(line[:cut], font, size) > width:
                cut -= 1
            hyphen = line.rfind("-", 0, cut) + 1  # a double-barrelled name breaks after its hyphen
            cut = hyphen if hyphen > 1 else cut
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return tuple(lines)


@functools.lru_cache(maxsize=65536)
def width(text: str, font: str, size: float) -> float:
    """``stringWidth``, cached: the same times, tables and places recur on thousands of pages."""
    return pdfmetrics.stringWidth(text, font, size)


def natural_width(texts: Iterable[str], font: str, size: float) -> float:
    """The width the widest of ``texts`` needs on one line."""
    return max((width(" ".join(t.split()), font, size) for t in set(texts)), default=0.0)


@dataclass(frozen=True)
class Cell:
    """A column's text in one row: (text, bold?, size) parts, each starting on a line of its own."""

    parts: tuple[tuple[str, bool, float], ...]

    def lines(self, fonts: Fonts, width: float) -> list[tuple[str, str, float]]:
        out = []
        for text, bold, size in self.parts:
            font = fonts.bold if bold else fonts.regular
            out.extend((line, font, size) for line in wrap(text, font, size, width))
        return out


def _drop(lines: list[tuple[str, str, float]]) -> float:
    """How far below the first baseline the last one is (a 9-point line 12 points under the one above)."""
    return sum(size + 3 for _, _, size in lines[1:])


class _Pages:
    """A canvas with the event's header on every page and a cursor going down it."""

    def __init__(self, plan: Plan, *, title: str, generated: datetime, fonts: Fonts | None) -> None:
        self.fonts = (fonts or system_fonts()).register()
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=A4, pageCompression=1, invariant=False)
        self.canvas.setTitle(title)
        self.canvas.setAuthor("PartnerUp")
        self.plan = plan
        self.footer = f"{plan.event_name} · printed {timefmt.local(generated, plan.timezone):%Y-%m-%d %H:%M %Z}"
        self.y = HEIGHT - MARGIN
        self.pages = 0

    def new_page(self, heading: str, subheading: str = "") -> None:
        if self.pages:
            self.canvas.showPage()
        self.pages += 1
        c, regular = self.canvas, self.fonts.regular
        c.setFillGray(0.3)
        c.setFont(regular, 8)
        c.drawString(MARGIN, MARGIN - 20, fit(self.footer, regular, 8, TEXT_WIDTH))
        c.setFont(regular, 9)
        c.drawString(MARGIN, HEIGHT - MARGIN + 8, fit(self.plan.event_name, regular, 9, TEXT_WIDTH))
        c.setFillGray(0)
        self.y = HEIGHT - MARGIN - 24
        self.lines(Cell(((heading, True, 22),)), MARGIN, TEXT_WIDTH, step=26)
        self.y -= 20
        if subheading:
            self.lines(Cell(((subheading, False, 11),)), MARGIN, TEXT_WIDTH, step=14)
            self.y -= 22

    def lines(self, cell: Cell, x: float, width: float, *, step: float | None = None) -> None:
        """Draw a cell's lines from the cursor down, and leave the cursor on the last baseline."""
        self.draw(cell.lines(self.fonts, width), x, step=step)

    def draw(self, lines: list[tuple[str, str, float]], x: float, *, step: float | None = None) -> None:
        """The lines as one text object (cheaper than a ``drawString`` each), the font set only when it changes."""
        text = self.canvas.beginText()
        current = None
        for n, (line, font, size) in enumerate(lines):
            if n:
                self.y -= step or size + 3
            if (font, size) != current:
                text.setFont(font, size)
                current = (font, size)
            text.setTextOrigin(x, self.y)
            text.textOut(line)
        self.canvas.drawText(text)

    def layout(self, cells: list[tuple[Cell, float, float]]) -> tuple[list[tuple[float, list]], float]:
        """Each cell's lines at its x (each cell has its x and width), and how far below the first baseline the
        lowest line is."""
        laid = [(x, cell.lines(self.fonts, width)) for cell, x, width in cells]
        return laid, max((_drop(lines) for _, lines in laid), default=0.0)

    def row(self, laid: list[tuple[float, list]]) -> None:
        """Draw laid-out cells side by side from the cursor's baseline, column by column; the cursor stays."""
        top = self.y
        for x, lines in laid:
            self.y = top
            self.draw(lines, x)
        self.y = top

    def room_for(self, height: float) -> bool:
        return self.y - height >= MARGIN

    def rule(self, y: float) -> None:
        c = self.canvas
        c.setLineWidth(0.3)
        c.setStrokeGray(0.6)
        c.line(MARGIN, y, WIDTH - MARGIN, y)
        c.setStrokeGray(0)

    def finish(self) -> bytes:
        if not self.pages:
            self.new_page("Nothing to print", "No meetings are booked yet.")
        self.canvas.save()
        return self.buffer.getvalue()


def _when(booking_or_slot, zone: str) -> str:
    slot = getattr(booking_or_slot, "slot", booking_or_slot)
    local = timefmt.local(slot.starts_at, zone)
    return f"{timefmt.short_day(local.date())} {timefmt.span(slot.starts_at, slot.ends_at, zone)}"


def _place(table: Table) -> str:
    return ", ".join(part for part in (table.room, table.venue) if part)


def tables_pdf(plan: Plan, *, generated: datetime, block_key: str | None = None, fonts: Fonts | None = None) -> bytes:
    """One A4 page per table (venue, room, table name), each slot with the two people and their organisations;
    free slots are printed as free. A table with very many slots runs on to a further page."""
    blocks = [b for b in plan.blocks if block_key in (None, b.key)]
    out = _Pages(plan, title=f"{plan.event_name}: table schedules", generated=generated, fonts=fonts)
    order: dict[int, Table] = {}
    for block in blocks:
        for table in block.tables:
            order.setdefault(table.id, table)
    zone = plan.timezone
    spans = [timefmt.span(slot.starts_at, slot.ends_at, zone) for block in blocks for slot in block.slots]
    time_width = min(TEXT_WIDTH * 2 / 5, max(60.0, natural_width(spans, out.fonts.bold, 11) + 2 * GAP))
    column = (TEXT_WIDTH - time_width) / 2
    for table in order.values():
        sections = [(block, block.slots) for block in blocks if any(t.id == table.id for t in block.tables)]
        rows = sum(len(slots) + 1 for _, slots in sections)
        row_height = max(20.0, min(34.0, (HEIGHT - 2 * MARGIN - 80) / max(1, rows)))
        out.new_page(table.name, _place(table))
        for block, slots in sections:
            _block_heading(out, block, zone)
            for slot in slots:
                cells = _table_cells(slot, block.cells.get((table.id, slot.id)), zone, time_width, column, row_height)
                laid, drop = out.layout(cells)
                height = max(row_height, drop + 22)
                if not out.room_for(height):
                    out.new_page(f"{table.name} (continued)", _place(table))
                    _block_heading(out, block, zone)
                out.row(laid)
                out.rule(out.y - height + 12)
                out.y -= height
    return out.finish()


def _block_heading(out: _Pages, block: BlockPlan, zone: str) -> None:
    out.y -= 6
    local = timefmt.local(block.starts_at, zone)
    out.lines(Cell(((f"{block.title} · {timefmt.day_label(local.date())}", True, 12),)), MARGIN, TEXT_WIDTH, step=15)
    out.y -= 8
    out.canvas.setLineWidth(0.8)
    out.canvas.line(MARGIN, out.y, WIDTH - MARGIN, out.y)
    out.y -= 14


def _table_cells(slot, booking: Booking | None, zone: str, time_width: float, column: float, height: float):
    cells = [(Cell(((timefmt.span(slot.starts_at, slot.ends_at, zone), True, 11),)), MARGIN, time_width - GAP)]
    if booking is None:
        cells.append((Cell((("free", False, 11),)), MARGIN + time_width, column - GAP))
        return cells
    for n, person in enumerate(booking.people):
        parts = [(person.name, True, 11)]
        if person.organisation and height >= 24:
            parts.append((person.organisation, False, 9))
        cells.append((Cell(tuple(parts)), MARGIN + time_width + n * column, column - GAP))
    return cells


def people_pdf(plan: Plan, *, generated: datetime, block_key: str | None = None, fonts: Fonts | None = None) -> bytes:
    """One A4 page per person with meetings: their itinerary in the event's time zone, table, place, the other person.
    The time column is as wide as the widest time span printed; the table column as wide as its widest table or
    place up to two fifths of what is left, wrapping beyond; the person, organisation and topic take the rest."""
    out = _Pages(plan, title=f"{plan.event_name}: itineraries", generated=generated, fonts=fonts)
    zone = plan.timezone
    bookings = plan.bookings(block_key)
    bold, regular = out.fonts.bold, out.fonts.regular
    when_width = min(TEXT_WIDTH * 2 / 5, natural_width((_when(b, zone) for b in bookings), bold, 11) + GAP)
    table_width = min(
        (TEXT_WIDTH - when_width) * 2 / 5,
        max(natural_width((b.table.name for b in bookings), bold, 11), natural_width(map(_place, (b.table for b in bookings)), regular, 9)) + GAP,
    )  # fmt: skip
    other_x, other_width = MARGIN + when_width + table_width, TEXT_WIDTH - when_width - table_width
    for itinerary in plan.itineraries(block_key=block_key):
        person = itinerary.person
        out.new_page(person.name, person.organisation)
        c = out.canvas
        c.setFont(regular, 9)
        c.setFillGray(0.3)
        c.drawString(MARGIN, out.y, f"Times in {zone} ({timefmt.local(itinerary.bookings[0].slot.starts_at, zone):%Z})")
        c.setFillGray(0)
        out.y -= 20
        for booking in itinerary.bookings:
            other = booking.other(person.id)
            with_whom = [(f"with {other.name}", True, 11.0), (other.organisation, False, 9.0)]
            if booking.topic:
                with_whom.append((f"Topic: {booking.topic}", False, 9.0))
            cells = [
                (Cell(((_when(booking, zone), True, 11),)), MARGIN, when_width - GAP),
                (Cell(((booking.table.name, True, 11), (_place(booking.table), False, 9))), MARGIN + when_width, table_width - GAP),
                (Cell(tuple(with_whom)), other_x, other_width),
            ]  # fmt: skip
            laid, drop = out.layout(cells)
            height = max(24.0, drop) + 22
            if not out.room_for(height):
                out.new_page(f"{person.name} (continued)", person.organisation)
            out.row(laid)
            out.rule(out.y - height + 14)
            out.y -= height
    return out.finish()
