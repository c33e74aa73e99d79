"""A second import of the same source syncs: only what changed changes, through the same path as an organiser's
edit (one grouped notice per person who bookmarked it, reminders moved); the same copy twice changes nothing."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from xml.etree import ElementTree

from sqlalchemy import select

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.partnering.participants import PersonInfo
from bot.reminders.bookmarks import SESSION_REMINDER
from bot.worker import Worker
from handlers.slack.app import make_client
from handlers.slack.notifier import SlackNotifier
from storage.db import Database
from storage.models import AgendaSession, Delivery
from tests.agenda_import_helpers import XML_38C3, berlin, bring_in
from tests.fake_slack import FakeSlack

OPENING = "270fa44c-821a-577f-8ca3-33e8d4a8c2a7"  # 38C3: Opening Ceremony, Fri 10:30, Saal 1
ESP32 = "ab1e5592-c1c7-54ea-8170-687e3f73b2d0"  # Liberating Wi-Fi on the ESP32, Fri 12:55, Saal 1
CORRECTIV = "48d32c48-214a-5387-9b87-ae7338bc181f"  # Correctiv-Recherche ..., Fri 11:00, Saal 1


def changed_copy() -> bytes:
    """The schedule as its organisers change it: the ESP32 talk moves an hour later, the opening is renamed,
    Correctiv is dropped, and a new talk is added."""
    root = ElementTree.fromstring(XML_38C3.read_bytes())
    events = {event.get("guid"): (room, event) for room in root.iter("room") for event in room.findall("event")}
    room, esp32 = events[ESP32]
    esp32.find("date").text = "2024-12-27T13:55:00+01:00"
    esp32.find("start").text = "13:55"
    events[OPENING][1].find("title").text = "38C3: Opening Ceremony (with live music)"
    correctiv_room, correctiv = events[CORRECTIV]
    correctiv_room.remove(correctiv)
    added = copy.deepcopy(esp32)
    added.set("guid", "00000000-0000-5000-8000-000000000001")
    added.set("id", "99999")
    added.find("title").text = "A talk added at the last minute"
    added.find("date").text = "2024-12-27T16:00:00+01:00"
    added.find("start").text = "16:00"
    room.append(added)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def ids(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return dict(session.execute(select(AgendaSession.key, AgendaSession.id)).all())


def reminders(db: Database) -> dict[int, tuple[datetime, str]]:
    with db.transaction() as session:
        rows = session.execute(
            select(Delivery.ref_id, Delivery.due_at, Delivery.status).where(Delivery.kind == SESSION_REMINDER)
        )
        return {ref: (due, status) for ref, due, status in rows}


def test_reimporting_a_changed_programme_tells_each_bookmarker_once_and_moves_reminders(
    db: Database, fake_slack: FakeSlack
) -> None:
    clock = FixedClock(berlin(27, 8, 0))
    bring_in(db, clock, "38c3-schedule.xml")
    assistant = Assistant(db=db, clock=clock, send_now=True)
    assistant.add_notifier("slack", SlackNotifier(make_client(token="xoxb-test", base_url=fake_slack.url)))
    worker = Worker(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders, rate=None)
    ada, bo, cy = (assistant.identify(platform="slack", external_id=u, lookup=lambda u=u: PersonInfo(display_name=u))
                   for u in ("U100", "U200", "U300"))  # fmt: skip
    key_ids = ids(db)
    for key in (OPENING, ESP32, CORRECTIV):
        assistant.bookmark(actor=ada, session_id=key_ids[key])
    assistant.bookmark(actor=bo, session_id=key_ids[ESP32])
    assistant.bookmark(actor=cy, session_id=key_ids["1c8f06f9-ce0d-51bc-9bf3-0a1f71e8e484"])  # unchanged late talk

    result = bring_in(db, clock, "changed.xml", data=changed_copy())
    report = result.report
    assert sorted(c.key for c in report.changed) == sorted([OPENING, ESP32])
    assert report.cancelled == [CORRECTIV] and report.added == ["00000000-0000-5000-8000-000000000001"]
    assert report.told_of_changes == 2  # Ada and Bo; Cy's talk did not change

    worker.tick()
    to = {user: [c.params["text"] for c in fake_slack.calls("chat.postMessage") if c.params.get("channel") == user]
          for user in ("U100", "U200", "U300")}  # fmt: skip
    [ada_notice] = to["U100"]
    assert ada_notice.startswith("3 agenda changes:")
    assert (
        "Liberating Wi-Fi on the ESP32 moves to Fri 27 Dec 13:55–14:35 CET (was Fri 27 Dec 12:55–13:35 CET)." in ada_notice
    )
    assert "38C3: Opening Ceremony is now called 38C3: Opening Ceremony (with live music)." in ada_notice
    assert "is cancelled; its reminder is removed." in ada_notice
    [bo_notice] = to["U200"]
    assert bo_notice.startswith("Agenda change: Liberating Wi-Fi on the ESP32")
    assert to["U300"] == []

    due = reminders(db)
    assert due[key_ids[ESP32]][0] == berlin(27, 13, 55) - timedelta(minutes=10)
    with db.transaction() as session:
        correctiv = session.scalar(select(AgendaSession).where(AgendaSession.key == CORRECTIV))
        assert correctiv.status == "cancelled"  # kept, not deleted: Ada's bookmark still points at it

    again = bring_in(db, clock, "changed.xml", data=changed_copy())
    assert again.nothing_changed and "Nothing changed." in again.lines()
    fake_slack.reset()
    worker.tick()
    assert fake_slack.calls("chat.postMessage") == []
