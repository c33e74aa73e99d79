"""Issue 18 in Teams: registrants found by the email or UPN the connector's member lookup gives when they first
write, and by the team roster when the bot is added to a team; the organisers' ``report people``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.assistant import Assistant
from storage.models import Participant, ParticipantAddress, Registration
from tests.teams_harness import TeamsHttpApp, card_text
from tests.test_teams_reach import wait_until

REGISTRATIONS = "Navn;E-post;Organisasjon;Type organisasjon;Vi tilbyr;Vi søker\n" + "\n".join(
    f"Person {n};person{n}@fjordlab.example.no;Fjordlab {n} AS;Biotech;Antibodies;Investors" for n in range(6)
)


@pytest.fixture
def teams(event_db, clock, fake_teams, tmp_path: Path):
    organiser = "0a0a0a0a-0000-4000-8000-00000000aaaa"
    assistant = Assistant(db=event_db, clock=clock, send_now=True, organisers=frozenset({organiser}))
    path = tmp_path / "registrations.csv"
    path.write_text(REGISTRATIONS, encoding="utf-8-sig")
    assert assistant.people.import_file(path).created == 6
    app = TeamsHttpApp(assistant, fake_teams)
    app.organiser = organiser
    yield app
    app.close()


def test_a_registrant_writing_first_is_found_by_the_member_lookup(teams, fake_teams):
    kari = teams.person("Kari Person")
    fake_teams.add_member(kari.conversation, user_id=kari.user_id, name="Kari Person", aad=kari.aad,
                          email=None, upn="Person2@Fjordlab.Example.NO")  # fmt: skip
    assert kari.say("partners").status == 200
    text = card_text(kari.last_card())
    assert "We filled in your profile from your registration; check it." in text
    with teams.assistant.db.transaction() as session:
        me = session.scalar(select(Participant).where(Participant.external_id == kari.aad))
        assert me.organisation == "Fjordlab 2 AS" and me.display_name == "Kari Person"
        row = session.scalar(select(Registration).where(Registration.participant_id == me.id))
        assert row.status == "linked" and row.email is None
    assert kari.say("partners").status == 200
    assert "We filled in your profile" not in card_text(kari.last_card())  # once


def test_the_first_profile_shows_the_notice_with_one_edit_button(teams, fake_teams):
    kari = teams.person("Kari Person")
    fake_teams.add_member(kari.conversation, user_id=kari.user_id, name="Kari Person", aad=kari.aad,
                          email="person3@fjordlab.example.no")  # fmt: skip
    assert kari.say("profile").status == 200
    card = kari.last_card()
    assert "We filled in your profile from your registration; check it." in card_text(card)
    assert "Fjordlab 3 AS" in card_text(card)
    assert json.dumps(card).count('"profile_edit"') == 1  # the notice's Edit, not a second "Edit profile"


def test_someone_not_on_the_list_is_a_plain_new_participant(teams, fake_teams):
    ola = teams.person("Ola Stranger")
    fake_teams.add_member(
        ola.conversation, user_id=ola.user_id, name="Ola Stranger", aad=ola.aad, email="ola@elsewhere.example"
    )
    assert ola.say("profile").status == 200
    assert "We filled in your profile" not in card_text(ola.last_card())
    assert teams.assistant.people.counts().linked == 0


def test_adding_the_bot_to_a_team_links_the_registered_members_of_its_roster(teams, fake_teams):
    team = "19:team-general@thread.tacv2"
    olga = teams.person("Olga Organiser", aad=teams.organiser)
    for n, (email, upn) in enumerate([("person0@fjordlab.example.no", None), (None, "PERSON1@fjordlab.example.no"),
                                      ("someone@else.example", "someone@else.example")]):  # fmt: skip
        fake_teams.add_member(team, user_id=f"29:roster-{n}", name=f"Roster {n}", aad=f"bbbbbbbb-0000-4000-8000-00000000000{n}",
                              email=email, upn=upn)  # fmt: skip
    added = olga.activity(
        "conversationUpdate",
        membersAdded=[{"id": olga.activity("x")["recipient"]["id"]}],
        conversation={"id": team, "conversationType": "channel", "tenantId": olga.activity("x")["conversation"]["tenantId"]},
        channelData={"team": {"id": team}, "tenant": {"id": olga.activity("x")["conversation"]["tenantId"]}},
    )
    assert teams.post(added).status == 200
    a = teams.assistant
    assert wait_until(lambda: a.people.counts().linked == 2), "the roster is read in the background"
    assert [c for c in fake_teams.calls if "pagedMembers" in c.path and c.method == "GET"]  # the one roster read
    assert not [c for c in fake_teams.calls if c.path.endswith("/members")]  # not a second, unpaged one
    with a.db.transaction() as session:
        linked = session.scalars(
            select(Participant).where(Participant.platform == "teams", Participant.organisation != "")
        ).all()
        assert sorted(p.organisation for p in linked) == ["Fjordlab 0 AS", "Fjordlab 1 AS"]
        addresses = session.scalars(
            select(ParticipantAddress).where(ParticipantAddress.participant_id.in_([p.id for p in linked]))
        )
        assert all(x.address["conversation_id"] == "" and x.address["user_id"].startswith("29:roster-") for x in addresses)

    # The organisers' report: counts, and the unlinked as a download link.
    assert olga.say("report people").status == 200
    text = card_text(olga.last_card())
    assert "Registrants: 6. Linked to a chat account: 2; not yet found: 4" in text
    assert "fjordlab.example.no" not in text
    kari = teams.person("Kari Nobody")
    assert kari.say("report people").status == 200
    assert "only the event's organisers" in card_text(kari.last_card())
