"""Each person hears about their partnering meetings in their own language (their Slack or Teams setting): a
Norwegian invitee and an English requester, through Slack, from the request to the cancellation."""

from __future__ import annotations

import json
import re

import pytest

from bot.assistant import Assistant
from tests.fake_slack import FakeSlack
from tests.slack_harness import SlackHttpApp
from tests.test_slack_partnering import buttons, dms_to, request_meeting


@pytest.fixture
def people(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U100", real_name="Ada Berg", title="Head of BD")
    fake_slack.add_user("U200", real_name="Bjørn Lund", title="Oncology scout", locale="nb-NO")


def labels(blocks: list[dict]) -> list[str]:
    return [e["text"]["text"] for b in blocks for e in b.get("elements", []) if e.get("type") == "button"]


def shown(message: dict) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def test_a_norwegian_invitee_and_an_english_requester_each_in_their_language(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None, assistant: Assistant, clock
) -> None:
    request_meeting(slack_app, fake_slack)
    fake_slack.wait_for("chat.postMessage", count=2)
    [invitation] = dms_to(fake_slack, "U200")
    assert invitation["text"] == "Ada Berg vil gjerne ha et partneringmøte med deg: TCR licensing"
    assert "Ny møteforespørsel" in shown(invitation) and "*Tema:* TCR licensing" in shown(invitation)
    assert "fra *Ada Berg" in shown(invitation) and "*Melding:* Let's talk" in shown(invitation)
    assert labels(invitation["blocks"]) == ["Takk ja", "Takk nei", "Foreslå en annen tid"]
    [sent] = dms_to(fake_slack, "U100")
    assert sent["text"] == "Your meeting request to Bjørn Lund is sent. I'll tell you when they answer."

    slack_app.action("request_accept", buttons(invitation["blocks"])["request_accept"], user="U200", in_dm=True)
    [answer] = fake_slack.wait_for("response_url")
    assert answer.params["text"] == (
        "Takket ja. Møtet ditt med Ada Berg er tor. 3. des. 11:10–11:40 CET ved Table 1, Partnering lounge, "
        "Oslo Cancer Cluster Innovation Park."
    )
    fake_slack.wait_for("chat.postMessage", count=4)
    [his] = [m for m in dms_to(fake_slack, "U200") if m["text"].startswith("Møte booket")]
    assert his["text"].startswith("Møte booket med Ada Berg: tor. 3. des. 11:10–11:40 CET ved Table 1")
    assert "Møtet er booket" in shown(his) and "Kalenderfilen er vedlagt" in shown(his)
    assert labels(his["blocks"]) == ["Flytt", "Avlys møtet"]
    [hers] = [m for m in dms_to(fake_slack, "U100") if "booked" in m["text"]]
    assert hers["text"].startswith("Meeting booked with Bjørn Lund: Thu 3 Dec 11:10–11:40 CET at Table 1")
    assert labels(hers["blocks"]) == ["Reschedule", "Cancel meeting"]

    # Bjørn's /meetings is Norwegian, buttons and all; Ada's stays English.
    his_list = slack_app.command("/meetings", "", user="U200").json()
    assert "Dine møter" in shown(his_list) and "Når du er ledig" in shown(his_list)
    assert {"Flytt", "Avlys møtet", "Merk som opptatt"} <= set(labels(his_list["blocks"]))
    assert "Your meetings" in shown(slack_app.command("/meetings", "", user="U100").json())

    # Finding partners, in Norwegian too.
    suggestions = slack_app.command("/partners", "", user="U200").json()
    assert "Skriv hva du tilbyr og søker med /profile, så foreslår jeg partnere." in shown(suggestions)
    nobody = slack_app.command("/partners", "xylofonbyggere", user="U200").json()
    assert "Ingen passer til det søket." in shown(nobody)

    # Ada cancels: Bjørn is told in Norwegian.
    listing = slack_app.command("/meetings", "", user="U100").json()
    slack_app.action("meeting_cancel", buttons(listing["blocks"])["meeting_cancel"], user="U100")
    fake_slack.wait_for("chat.postMessage", count=5)
    notice = dms_to(fake_slack, "U200")[-1]
    assert re.fullmatch(r"Ada Berg har avlyst møtet med deg tor\. 3\. des\. 11:10–11:40 CET \(TCR licensing\)\. "
                        r"Tiden er ledig igjen\.", notice["text"]), notice["text"]  # fmt: skip


def test_every_sentence_has_both_languages() -> None:
    """A sentence missing from one table fails only when someone with that language is written to."""
    from bot import lang

    english, norwegian = lang.table("en")["say"], lang.table("nb")["say"]
    assert sorted(set(english) ^ set(norwegian)) == []
    for key, text in english.items():
        if isinstance(text, str):  # a blank the code does not fill in fails when the sentence is written
            assert set(re.findall(r"{(\w+)}", norwegian[key])) <= set(re.findall(r"{(\w+)}", text)), key


def test_reminders_nudges_refusals_and_no_slot_in_norwegian() -> None:
    from datetime import UTC, datetime

    from bot.partnering import replies
    from bot.partnering.participants import Profile
    from bot.partnering.views import MeetingView, RequestView

    def person(pid: int, name: str, locale: str, organisation: str = "") -> Profile:
        return Profile(id=pid, platform="slack", external_id=f"U{pid}", name=name, title="", organisation=organisation,
                       org_type="", role="", offers="", seeks="", interests=(), locale=locale)  # fmt: skip

    ada, bjorn = person(1, "Ada Berg", "en-US", "Biogenix"), person(2, "Bjørn Lund", "nb-NO")
    request = RequestView(id=7, requester=ada, invitee=bjorn, topic="TCR licensing", message="", preferred_day="2026-12-04",
                          status="accepted", created_at=datetime(2026, 12, 1, tzinfo=UTC), decline_reason="Fullt",
                          timezone="Europe/Oslo", placed=False)  # fmt: skip
    meeting = MeetingView(id=3, request_id=7, starts_at=datetime(2026, 12, 3, 10, 10, tzinfo=UTC),
                          ends_at=datetime(2026, 12, 3, 10, 40, tzinfo=UTC), table="Table 1", room="", venue="Lounge",
                          address="", topic="TCR licensing", other=ada, me_id=2, status="booked", ics_uid="u",
                          sequence=0, timezone="Europe/Oslo")  # fmt: skip
    reminder = replies.meeting_reminder(meeting, datetime(2026, 12, 3, 10, 0, tzinfo=UTC), code="nb")
    assert reminder.text == "Om 10 min: møtet ditt med Ada Berg (Biogenix) ved Table 1, Lounge. Tema: TCR licensing"
    assert replies.nudge(request).text == "Påminnelse: Ada Berg venter på svar på en møteforespørsel (TCR licensing)."
    assert replies.no_slot(request, viewer=2).text == (
        "Takket ja, men det er ingen tid på fre. 4. des. da både du og Ada Berg er ledige og et bord er ledig "
        "(TCR licensing)."
    )
    assert replies.no_slot(request, viewer=1).text == (  # Ada reads English
        "Bjørn Lund accepted your request, but there is no slot on Fri 4 Dec in which you and Bjørn Lund are both "
        "free and a table is free (TCR licensing)."
    )
    assert replies.request_withdrawn(request).text == (  # Ada withdrew: Bjørn reads it
        "Ada Berg har trukket tilbake møteforespørselen (TCR licensing); møtet blir ikke satt opp."
    )
    declined = replies.request_declined(request)
    assert declined.text == "Bjørn Lund declined your meeting request (TCR licensing)." and declined.lang == "en"


def test_teams_says_add_to_calendar_where_slack_says_attached_in_either_language() -> None:
    """Teams cannot attach a file to a proactive message: the note under "Meeting booked" points at the button."""
    from bot import lang
    from bot.replies import Note
    from handlers.teams.notifier import _linked

    assert _linked(Note(lang.say("nb", "booked_file"))) == Note(
        "Add to calendar åpner kalenderfilen; flyttes møtet, oppdaterer den nye filen den samme oppføringen."
    )
    assert _linked(Note(lang.say("en", "booked_file"))).text.startswith("Add to calendar opens the calendar file")
