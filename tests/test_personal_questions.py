"""Questions about oneself (meetings, bookmarks, free time) and about who is here (speakers and the partner
directory), through the front door and through Slack, where the person's Slack locale picks the language."""

from __future__ import annotations

import json

import pytest

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.partnering.replies import REQUEST_MEETING
from bot.replies import Actions, MeetingCard, ProfileCard, Reply, SessionCard
from handlers.console.render import render
from storage.db import Database
from tests.fake_slack import FakeSlack
from tests.partnering_helpers import RecordingNotifier, give_profile, people
from tests.slack_harness import SlackHttpApp
from tests.test_question_set import block_text


@pytest.fixture
def bot(event_db: Database, clock: FixedClock) -> Assistant:
    assistant = Assistant(db=event_db, clock=clock, send_now=True)
    assistant.add_notifier("console", RecordingNotifier())
    return assistant


def shown(reply: Reply) -> str:
    return reply.text + "\n" + render(reply, with_share=False)[0]


def book(bot: Assistant, requester: int, invitee: int) -> None:
    """A meeting request, accepted: placed in the first free slot (day 1, 11:10, Table 1)."""
    sent = bot.request_meeting(actor=requester, invitee=invitee, topic="TCR licensing")
    request_id = next(p.request.id for p in sent.parts if hasattr(p, "request"))
    accepted = bot.accept(actor=invitee, request_id=request_id)
    assert "Accepted" in accepted.text, accepted.text


@pytest.fixture
def maya_meets_bjorn(bot: Assistant) -> tuple[int, int, int]:
    maya, bjorn, cleo = people(bot, "Maya Lund", "Bjørn Hansen", "Cleo Berg")
    give_profile(bot, maya, organisation="Biogenix", org_type="startup", offers="TCR platform", interests=("TCR",))
    give_profile(bot, bjorn, organisation="Roche", org_type="pharma", seeks="TCR assets", interests=("oncology",))
    book(bot, maya, bjorn)
    return maya, bjorn, cleo


# --- my meetings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["when is my next meeting?", "whens my next meeting", "where is my next meeting"])
def test_my_next_meeting(bot: Assistant, maya_meets_bjorn, question: str) -> None:
    maya, _, _ = maya_meets_bjorn

    reply = bot.ask(text=question, actor=maya)

    assert reply.text.startswith("Your next meeting is with Bjørn Hansen, Thu 3 Dec at 11:10 at Table 1")
    assert [p.meeting.other.name for p in reply.parts if isinstance(p, MeetingCard)] == ["Bjørn Hansen"]


def test_my_meeting_with_someone_by_a_misspelt_name(bot: Assistant, maya_meets_bjorn) -> None:
    _, bjorn, _ = maya_meets_bjorn

    reply = bot.ask(text="where is my meeting with maya?", actor=bjorn)

    assert reply.text.startswith("Your meeting with Maya Lund is Thu 3 Dec at 11:10 at Table 1")
    assert "Oslo Cancer Cluster Innovation Park" in reply.text


def test_who_am_i_meeting_at_a_time(bot: Assistant, maya_meets_bjorn) -> None:
    maya, _, _ = maya_meets_bjorn

    assert "you are meeting Bjørn Hansen" in bot.ask(text="who am I meeting at 11:10?", actor=maya).text
    assert bot.ask(text="who am I meeting at 15:30?", actor=maya).text == "You have no meeting Thu 3 Dec at 15:30."


def test_nobody_sees_anyone_elses_meetings(bot: Assistant, maya_meets_bjorn) -> None:
    _, _, cleo = maya_meets_bjorn

    for question in ("when is my next meeting?", "where is my meeting with Bjørn?", "who am I meeting at 11:10?"):
        text = shown(bot.ask(text=question, actor=cleo))
        assert "Bjørn Hansen" not in text and "Maya" not in text and "Table 1" not in text, text


def test_a_personal_question_without_knowing_who_asks(bot: Assistant, maya_meets_bjorn) -> None:
    reply = bot.ask(text="when is my next meeting?")  # an @mention in a channel: no personal data

    assert "I don't know who you are here" in reply.text
    assert not any(isinstance(p, MeetingCard) for p in reply.parts)


def test_norwegian_next_meeting(bot: Assistant, maya_meets_bjorn) -> None:
    maya, _, _ = maya_meets_bjorn

    reply = bot.ask(text="når er mitt neste møte?", actor=maya)

    assert reply.text.startswith("Ditt neste møte er med Bjørn Hansen, tor. 3. des. kl. 11:10 ved Table 1")
    assert reply.lang == "nb"


# --- am I free, my bookmarks --------------------------------------------------------------------------


def test_am_i_free(bot: Assistant, maya_meets_bjorn) -> None:
    maya, _, cleo = maya_meets_bjorn
    panel = next(s for s in bot.event().sessions if s.key == "d1-panel-academia-industry")
    bot.bookmark(actor=maya, session_id=panel.id)

    busy = bot.ask(text="am I free at 11:20?", actor=maya)
    assert busy.text.startswith("No, Thu 3 Dec at 11:20 you have: a meeting with Bjørn Hansen (11:10–11:40, Table 1)")
    at_panel = bot.ask(text="am I free at 14:00 on day 1?", actor=maya)
    assert "Academia meets industry" in at_panel.text and at_panel.text.startswith("No")
    assert bot.ask(text="am I free at 14:00 on day 2?", actor=maya).text.startswith("Yes, you are free Fri 4 Dec at 14:00")
    assert bot.ask(text="am I free at 11:20?", actor=cleo).text.startswith("Yes")  # Maya's meeting is not Cleo's
    assert bot.ask(text="er jeg ledig kl 14 på dag 2?", actor=maya).text.startswith("Ja, du er ledig fre. 4. des. kl. 14:00")


def test_what_have_i_bookmarked(bot: Assistant, clock: FixedClock) -> None:
    ada, bo = people(bot, "Ada", "Bo")
    sessions = {s.key: s for s in bot.event().sessions}
    bot.bookmark(actor=ada, session_id=sessions["d2-digital-pathology"].id)
    bot.bookmark(actor=ada, session_id=sessions["d1-lunch"].id)
    bot.bookmark(actor=bo, session_id=sessions["d2-real-world-data"].id)

    reply = bot.ask(text="what have I bookmarked tomorrow?", actor=ada)

    assert reply.text == "You bookmarked 1 session(s) (Fri 4 Dec):"
    assert [p.session.key for p in reply.parts if isinstance(p, SessionCard)] == ["d2-digital-pathology"]
    assert bot.ask(text="what have I bookmarked tomorrow?", actor=bo).text.startswith("You bookmarked 1")
    assert "d2-digital" not in str(
        [p.session.key for p in bot.ask(text="my bookmarks", actor=bo).parts if isinstance(p, SessionCard)]
    )
    nb = bot.ask(text="hva har jeg bokmerket i morgen?", actor=ada)
    assert nb.text == "Du har bokmerket 1 programpost(er) (fre. 4. des.):"


# --- who is here --------------------------------------------------------------------------------------


def request_buttons(reply: Reply) -> list[str]:
    return [b.value for p in reply.parts if isinstance(p, Actions) for b in p.buttons if b.action == REQUEST_MEETING]


def test_which_start_ups_work_on_tcr(bot: Assistant, maya_meets_bjorn) -> None:
    maya, bjorn, cleo = maya_meets_bjorn

    reply = bot.ask(text="which start-ups work on TCR?", actor=cleo)

    assert [p.profile.name for p in reply.parts if isinstance(p, ProfileCard)] == ["Maya Lund"]
    assert request_buttons(reply) == [str(maya)]
    assert "Nordkapp TCR Bio AS" in shown(reply)  # a pitching start-up from the agenda
    assert "Bjørn Hansen" not in shown(reply)  # Roche is pharma, not a start-up


def test_who_from_roche_is_here(bot: Assistant, maya_meets_bjorn) -> None:
    maya, bjorn, cleo = maya_meets_bjorn

    reply = bot.ask(text="who from Roche is here?", actor=cleo)

    assert reply.text.startswith("From Roche:")
    assert [p.profile.name for p in reply.parts if isinstance(p, ProfileCard)] == ["Bjørn Hansen"]
    assert request_buttons(reply) == [str(bjorn)]
    assert "Roche partnering representative" in shown(reply)
    assert "Maya Lund" not in shown(reply)
    nb = bot.ask(text="hvem fra Roche er her?", actor=cleo)
    assert nb.text.startswith("Fra Roche:") and request_buttons(nb) == [str(bjorn)]


def test_the_directory_never_lists_the_asker_or_bots(bot: Assistant, maya_meets_bjorn) -> None:
    _, bjorn, _ = maya_meets_bjorn
    [robot] = people(bot, "Roche Bot", is_bot=True)
    give_profile(bot, robot, organisation="Roche", org_type="pharma")

    reply = bot.ask(text="who from Roche is here?", actor=bjorn)

    assert request_buttons(reply) == []
    assert "Roche Bot" not in shown(reply)


def test_nobody_found(bot: Assistant, maya_meets_bjorn) -> None:
    reply = bot.ask(text="which investors work on quantum sails?")

    assert reply.text == "I found nobody in the partner directory or among the speakers for that."


# --- Slack: the person's locale ---------------------------------------------------------------------------


def dm(slack_app: SlackHttpApp, fake_slack: FakeSlack, user: str, text: str) -> str:
    before = len(fake_slack.calls("chat.postMessage"))
    slack_app.event(
        {"type": "message", "channel_type": "im", "channel": "D" + user, "user": user, "text": text, "ts": "1.1"}
    )
    call = fake_slack.wait_for("chat.postMessage", count=before + 1)[-1]
    blocks = call.params["blocks"]
    return block_text(json.loads(blocks) if isinstance(blocks, str) else blocks)


def test_a_norwegian_slack_user_gets_norwegian_answers(slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U200", real_name="Kari Nordmann", locale="nb-NO")
    fake_slack.add_user("U300", real_name="Nils Nynorsk", locale="nn-NO")
    fake_slack.add_user("U100", real_name="Ada Lovelace", locale="en-GB")

    assert "Johanna Olweus snakker tor. 3. des. kl. 10:10" in dm(slack_app, fake_slack, "U200", "when does Olweus speak?")
    assert "Dag 2 (fre. 4. des.) er på Oslo Science Park" in dm(slack_app, fake_slack, "U300", "where is day 2?")
    assert "Johanna Olweus speaks on Thu 3 Dec at 10:10" in dm(slack_app, fake_slack, "U100", "when does Olweus speak?")
    assert "Nora Kvamme snakker fre. 4. des. kl. 10:00" in dm(slack_app, fake_slack, "U100", "når snakker Nora Kvamme?")
    infos = fake_slack.calls("users.info")
    assert infos and all(str(c.params.get("include_locale")).lower() in ("true", "1") for c in infos)


def test_personal_question_over_slack(slack_app: SlackHttpApp, fake_slack: FakeSlack, assistant: Assistant) -> None:
    fake_slack.add_user("U200", real_name="Kari Nordmann", locale="nb-NO")
    dm(slack_app, fake_slack, "U200", "hei")  # first contact: Kari becomes a participant, with her locale
    kari = assistant.participants.known(platform="slack", external_id="U200")
    assert assistant.profile_of(kari).locale == "nb-NO"
    assistant.bookmark(actor=kari, session_id=next(s.id for s in assistant.event().sessions if s.key == "d2-lunch"))

    text = dm(slack_app, fake_slack, "U200", "what have I bookmarked tomorrow?")

    assert "Du har bokmerket 1 programpost(er) (fre. 4. des.)" in text
    assert "Lunch" in text


def test_partnerup_command_answers_personal_questions_in_the_askers_language(
    slack_app: SlackHttpApp, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U200", real_name="Kari Nordmann", locale="nb-NO")

    response = slack_app.command("/partnerup", "when is my next meeting?", user="U200")

    assert response.status == 200
    assert "Du har ingen kommende møter" in block_text(response.json()["blocks"])


def test_someone_hidden_from_the_directory_is_not_listed_by_a_question(bot: Assistant, maya_meets_bjorn) -> None:
    """Directory questions go through the partner directory, so "Hide me" (privacy) applies to them too."""
    maya, bjorn, cleo = maya_meets_bjorn
    assert request_buttons(bot.ask(text="who from Roche is here?", actor=cleo)) == [str(bjorn)]

    bot.set_hidden(actor=bjorn, hidden=True)

    reply = bot.ask(text="who from Roche is here?", actor=cleo)
    assert "Bjørn Hansen" not in shown(reply)
    assert request_buttons(reply) == []
