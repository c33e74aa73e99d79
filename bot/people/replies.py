"""What people and organisers are told about the registration list: the notice on a filled-in profile, the
organisers' report and its CSV of the registrants not linked to any chat account."""

from __future__ import annotations

import csv
import io

from bot.partnering.floor import csv_safe
from bot.people.roster import PeopleCounts, UnlinkedPerson
from bot.replies import Actions, Button, Heading, Note, Paragraph, Part, Reply

EDIT_PROFILE = "profile_edit"  # the button every door maps to its profile form
FILLED_IN = "We filled in your profile from your registration; check it."
NO_LIST = "No registration list is imported yet. An organiser imports one with `python -m bot import-people FILE`."


def registration_notice() -> list[Part]:
    return [Paragraph(FILLED_IN), Actions((Button("Edit", EDIT_PROFILE, "", "primary"),))]


def people_report(counts: PeopleCounts, *, csv_note: str) -> Reply:
    if not counts.total:
        return Reply(text=NO_LIST).add(Paragraph(NO_LIST))
    text = (
        f"Registrants: {counts.total:,}. Linked to a chat account: {counts.linked:,}; "
        f"not yet found: {counts.unlinked:,}; opted out (deleted their data): {counts.opted_out:,}."
    )
    reply = Reply(text=text).add(Heading("Registered attendees"), Paragraph(text))
    reply.add(Note("People not yet found cannot be offered as meeting partners: nobody could reach them."))
    if counts.unlinked:
        reply.add(Note(csv_note))
    return reply


def unlinked_csv(people: list[UnlinkedPerson]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "organisation", "reason"])
    for person in people:
        writer.writerow([csv_safe(person.name), csv_safe(person.organisation), person.reason])
    return out.getvalue()
