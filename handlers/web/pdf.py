"""Printable schedules as real PDFs (reportlab), A4: a page per table to put on the table, a page per person
for the help desk. Drawn straight on the canvas (no layout engine) so 400 tables print in seconds."""

from __future__ import annotations

import functools
import io
from datetime import datetime
from pathlib import Path

import reportlab
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from bot import timefmt
from bot.dashboard.views import BlockPlan, Booking, Plan, Table

WIDTH, HEIGHT = A4
MARGIN = 42
REGULAR, BOLD = "PartnerUp", "PartnerUp-Bold"
_FONT_PAIRS = (
    (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
    (Path(reportlab.__file__).parent / "fonts" / "Vera.ttf", Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf"),
)


def _register_fonts() -> None:
    """A Unicode TrueType font (DejaVu when the system has it, else the Vera that ships with reportlab), so names
    such as Bjørn, Łukasz or Zoë print as typed."""
    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    for regular, bold in _FONT_PAIRS:
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
            pdfmetrics.registerFont(TTFont(BOLD, str(bold)))
            return
    raise RuntimeError("no TrueType font found for the PDF schedules")


@functools.lru_cache(maxsize=65536)
def fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut (with an ellipsis) to fit ``width`` points (cached: the same names and times recur on many pages)."""
    text = " ".join(text.split())
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[: max(0, len(text) - max(1, len(text) // 10))] if len(text) > 20 else text[:-1]
    return text + "…"


class _Pages:
    """A canvas with the event's header on every page and a cursor going down it."""

    def __init__(self, plan: Plan, *, title: str, generated: datetime) -> None:
        _register_fonts()
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
        c = self.canvas
        c.setFont(REGULAR, 9)
        c.setFillGray(0.3)
        c.drawString(MARGIN, HEIGHT - MARGIN + 8, fit(self.plan.event_name, REGULAR, 9, WIDTH - 2 * MARGIN))
        c.drawString(MARGIN, MARGIN - 20, fit(self.footer, REGULAR, 8, WIDTH - 2 * MARGIN))
        c.setFillGray(0)
        c.setFont(BOLD, 22)
        c.drawString(MARGIN, HEIGHT - MARGIN - 24, fit(heading, BOLD, 22, WIDTH - 2 * MARGIN))
        self.y = HEIGHT - MARGIN - 44
        if subheading:
            c.setFont(REGULAR, 11)
            c.drawString(MARGIN, self.y, fit(subheading, REGULAR, 11, WIDTH - 2 * MARGIN))
            self.y -= 22

    def room_for(self, height: float) -> bool:
        return self.y - height >= MARGIN

    def finish(self) -> bytes:
        if not self.pages:
            self.new_page("Nothing to print", "No meetings are booked yet.")
        self.canvas.save()
        return self.buffer.getvalue()


def _when(booking_or_slot, zone: str) -> str:
    slot = getattr(booking_or_slot, "slot", booking_or_slot)
    local = timefmt.local(slot.starts_at, zone)
    return f"{timefmt.short_day(local.date())} {timefmt.span(slot.starts_at, slot.ends_at, zone)}"


def tables_pdf(plan: Plan, *, generated: datetime, block_key: str | None = None) -> bytes:
    """One A4 page per table (venue, room, table name), each slot with the two people and their organisations;
    free slots are printed as free. A table with very many slots runs on to a further page."""
    blocks = [b for b in plan.blocks if block_key in (None, b.key)]
    out = _Pages(plan, title=f"{plan.event_name}: table schedules", generated=generated)
    order: dict[int, Table] = {}
    for block in blocks:
        for table in block.tables:
            order.setdefault(table.id, table)
    zone = plan.timezone
    column = (WIDTH - 2 * MARGIN - 150) / 2
    for table in order.values():
        sections = [(block, block.slots) for block in blocks if any(t.id == table.id for t in block.tables)]
        rows = sum(len(slots) + 1 for _, slots in sections)
        row_height = max(20.0, min(34.0, (HEIGHT - 2 * MARGIN - 80) / max(1, rows)))
        where = ", ".join(part for part in (table.room, table.venue) if part)
        out.new_page(table.name, where)
        for block, slots in sections:
            _block_heading(out, block, table, zone)
            for slot in slots:
                if not out.room_for(row_height):
                    out.new_page(f"{table.name} (continued)", where)
                    _block_heading(out, block, table, zone)
                _table_row(out, slot, block.cells.get((table.id, slot.id)), zone, column, row_height)
    return out.finish()


def _block_heading(out: _Pages, block: BlockPlan, table: Table, zone: str) -> None:
    c = out.canvas
    out.y -= 6
    c.setFont(BOLD, 12)
    local = timefmt.local(block.starts_at, zone)
    c.drawString(MARGIN, out.y, fit(f"{block.title} · {timefmt.day_label(local.date())}", BOLD, 12, WIDTH - 2 * MARGIN))
    out.y -= 8
    c.setLineWidth(0.8)
    c.line(MARGIN, out.y, WIDTH - MARGIN, out.y)
    out.y -= 14


def _table_row(out: _Pages, slot, booking: Booking | None, zone: str, column: float, height: float) -> None:
    c = out.canvas
    top = out.y
    c.setFont(BOLD, 11)
    c.drawString(MARGIN, top, timefmt.span(slot.starts_at, slot.ends_at, zone))
    if booking is None:
        c.setFont(REGULAR, 11)
        c.setFillGray(0.45)
        c.drawString(MARGIN + 150, top, "free")
        c.setFillGray(0)
    else:
        for n, person in enumerate(booking.people):
            x = MARGIN + 150 + n * column
            c.setFont(BOLD, 11)
            c.drawString(x, top, fit(person.name, BOLD, 11, column - 8))
            if person.organisation and height >= 24:
                c.setFont(REGULAR, 9)
                c.drawString(x, top - 11, fit(person.organisation, REGULAR, 9, column - 8))
    c.setLineWidth(0.3)
    c.setStrokeGray(0.6)
    c.line(MARGIN, top - height + 12, WIDTH - MARGIN, top - height + 12)
    c.setStrokeGray(0)
    out.y -= height


def people_pdf(plan: Plan, *, generated: datetime, block_key: str | None = None) -> bytes:
    """One A4 page per person with meetings: their itinerary in the event's time zone, table, place, the other person."""
    out = _Pages(plan, title=f"{plan.event_name}: itineraries", generated=generated)
    zone = plan.timezone
    widths = (150, 95, (WIDTH - 2 * MARGIN - 245))
    for itinerary in plan.itineraries(block_key=block_key):
        person = itinerary.person
        out.new_page(person.name, person.organisation)
        c = out.canvas
        c.setFont(REGULAR, 9)
        c.setFillGray(0.3)
        c.drawString(MARGIN, out.y, f"Times in {zone} ({timefmt.local(itinerary.bookings[0].slot.starts_at, zone):%Z})")
        c.setFillGray(0)
        out.y -= 20
        for booking in itinerary.bookings:
            if not out.room_for(46):
                out.new_page(f"{person.name} (continued)", person.organisation)
            other = booking.other(person.id)
            x = MARGIN
            c.setFont(BOLD, 11)
            c.drawString(x, out.y, fit(_when(booking, zone), BOLD, 11, widths[0] - 6))
            c.drawString(x + widths[0], out.y, fit(booking.table.name, BOLD, 11, widths[1] - 6))
            c.drawString(x + widths[0] + widths[1], out.y, fit(f"with {other.name}", BOLD, 11, widths[2]))
            c.setFont(REGULAR, 9)
            place = ", ".join(part for part in (booking.table.room, booking.table.venue) if part)
            c.drawString(x + widths[0], out.y - 12, fit(place, REGULAR, 9, widths[1] - 6))
            c.drawString(x + widths[0] + widths[1], out.y - 12, fit(other.organisation, REGULAR, 9, widths[2]))
            if booking.topic:
                c.drawString(x + widths[0] + widths[1], out.y - 24, fit(f"Topic: {booking.topic}", REGULAR, 9, widths[2]))
            c.setLineWidth(0.3)
            c.setStrokeGray(0.6)
            c.line(MARGIN, out.y - 32, WIDTH - MARGIN, out.y - 32)
            c.setStrokeGray(0)
            out.y -= 46
    return out.finish()
