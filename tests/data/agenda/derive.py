"""How the two derived files here were made from the real exports (run once; kept so anyone can check):
38c3-schedule.ics from 38c3-schedule.xml (Saal 1 and Saal GLITCH, in pretalx's iCal shape: one VEVENT per talk,
TZID times, the guid as UID) and gpn11.xlsx from gpn11.csv (dates and times as Excel values, one formula)."""

import csv
from datetime import date, datetime, time, timedelta
from pathlib import Path
from xml.etree import ElementTree

import icalendar
from openpyxl import Workbook

HERE = Path(__file__).parent


def ics() -> None:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//pretalx//fahrplan.events.ccc.de//38c3")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "38C3 talks")
    root = ElementTree.parse(HERE / "38c3-schedule.xml").getroot()
    for event in root.iter("event"):
        if event.findtext("room") not in ("Saal 1", "Saal GLITCH"):
            continue
        start = datetime.fromisoformat(event.findtext("date"))
        hours, minutes = map(int, event.findtext("duration").split(":"))
        vevent = icalendar.Event()
        vevent.add("uid", f"pretalx-38c3-{event.get('guid')}@fahrplan.events.ccc.de")
        vevent.add("dtstamp", datetime(2025, 3, 4, 21, 21))
        vevent.add("dtstart", start.astimezone(icalendar.timezone.tzp.timezone("Europe/Berlin")))
        vevent.add(
            "dtend",
            (start + timedelta(hours=hours, minutes=minutes)).astimezone(icalendar.timezone.tzp.timezone("Europe/Berlin")),
        )
        vevent.add("summary", event.findtext("title"))
        vevent.add("location", event.findtext("room"))
        vevent.add("description", event.findtext("abstract") or "")
        vevent.add("url", event.findtext("url"))
        for person in event.iter("person"):
            vevent.add("attendee", "mailto:speaker@example.invalid", parameters={"CN": person.text, "ROLE": "CHAIR"})
        calendar.add_component(vevent)
    calendar.add_missing_timezones()
    (HERE / "38c3-schedule.ics").write_bytes(calendar.to_ical())


def xlsx() -> None:
    workbook = Workbook()
    sheet = workbook.active
    with open(HERE / "gpn11.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    sheet.append(rows[0])
    for row in rows[1:]:
        row = list(row)
        row[1] = date.fromisoformat(row[1])
        hours, minutes = map(int, row[3].split(":"))
        row[3] = time(hours, minutes)
        row[6] = int(row[6])
        sheet.append(row)
    workbook.save(HERE / "gpn11.xlsx")


if __name__ == "__main__":
    ics()
    xlsx()
