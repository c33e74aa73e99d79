"""Plain questions and ``/venue``, answered the way a person reads them."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.replies import Heading, Note, Paragraph, Reply, SessionCard, VenueCard
from tests.conftest import OSLO, oslo

OLWEUS_TALK = "From lab to patient: cancer immunotherapy research at Oslo University Hospital"
PANEL = "Academia meets industry: making collaborations work"
OCC = "Oslo Cancer Cluster Innovation Park"
OSP = "Oslo Science Park"
EXAMPLE = "when does Olweus speak?"


def titles(reply: Reply) -> list[str]:
    return [part.session.title for part in reply.parts if isinstance(part, SessionCard)]


def venue_cards(reply: Reply) -> list[VenueCard]:
    return [part for part in reply.parts if isinstance(part, VenueCard)]


def words(reply: Reply) -> str:
    """All the reply's sentences, as one string to look for phrases in."""
    return "\n".join([reply.text] + [p.text for p in reply.parts if isinstance(p, Heading | Paragraph | Note)])


def assert_fallback_with_examples(reply: Reply) -> None:
    assert reply.text.strip()
    assert titles(reply) == []
    assert EXAMPLE in words(reply)
    assert "where is day 2?" in words(reply)
    assert "/agenda" in words(reply)


# --- ask ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["when does Olweus speak?", "When does olveus speak", "what time is Olweus on?"])
def test_when_does_olweus_speak(assistant: Assistant, question: str) -> None:
    reply = assistant.ask(text=question)

    assert reply.text == f"Johanna Olweus speaks on Thu 3 Dec at 10:10 (Auditorium, {OCC})."
    assert reply.text in words(reply).splitlines()[1:], "the answer is in the body too, not only the summary"
    assert titles(reply) == [OLWEUS_TALK]


def test_where_is_day_2(assistant: Assistant) -> None:
    reply = assistant.ask(text="where is day 2?")

    assert f"{OSP}, Gaustadalléen 21" in reply.text
    assert "Day 2" in reply.text
    assert [card.venue.name for card in venue_cards(reply)] == [OSP]
    assert venue_cards(reply)[0].venue.address == "Gaustadalléen 21, 0349 Oslo"


def test_where_is_day_2_before_the_event(assistant: Assistant, clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 20, 9, 0, tzinfo=OSLO))

    reply = assistant.ask(text="where is day 2?")

    assert f"{OSP}, Gaustadalléen 21" in reply.text


def test_whats_on_after_lunch_on_day_one(assistant: Assistant) -> None:
    reply = assistant.ask(text="what's on after lunch?")

    found = titles(reply)
    assert found[0] == PANEL
    assert "Funding your first clinical study" in found
    assert OLWEUS_TALK not in found
    assert "Start-up pitches: oncology and immunotherapy" not in found
    starts = [part.session.starts_at for part in reply.parts if isinstance(part, SessionCard)]
    assert all(oslo(3, 13, 30) <= start < oslo(4, 0, 0) for start in starts)
    assert "Lunch" in reply.text and "Thu 3 Dec" in reply.text


def test_whats_on_after_lunch_on_day_two(assistant: Assistant, clock: FixedClock) -> None:
    clock.set(oslo(4, 9, 0))

    reply = assistant.ask(text="what's on after lunch?")

    assert titles(reply)[0] == "Cancer vaccines and personalised immunotherapy: what makes a good partnering asset"
    assert "Fri 4 Dec" in reply.text


def test_where_do_the_start_up_pitches_happen(assistant: Assistant) -> None:
    reply = assistant.ask(text="where do the start-up pitches happen?")

    assert reply.text.startswith("Start-up pitches: oncology and immunotherapy is in Auditorium, " + OCC)
    assert "11:10" in reply.text
    assert "Start-up pitches: diagnostics and health tech" in titles(reply)
    assert [card.venue.name for card in venue_cards(reply)] == [OCC]


@pytest.mark.parametrize(
    "question", ["how do I get to the venue?", "directions to the venue please", "How can I get there?"]
)
def test_how_do_i_get_to_the_venue(assistant: Assistant, question: str) -> None:
    reply = assistant.ask(text=question)

    (card,) = venue_cards(reply)
    assert card.venue.name == OCC
    assert "Montebello" in card.venue.directions
    assert card.venue.address == "Ullernchausseen 64, 0379 Oslo"
    assert card.venue.map_url.startswith("https://")
    assert OCC in reply.text


def test_how_do_i_get_to_the_venue_on_day_two(assistant: Assistant, clock: FixedClock) -> None:
    clock.set(oslo(4, 8, 0))

    (card,) = venue_cards(assistant.ask(text="how do I get to the venue?"))

    assert card.venue.name == OSP
    assert "Forskningsparken" in card.venue.directions


def test_who_is_on_the_panel(assistant: Assistant) -> None:
    reply = assistant.ask(text="who is on the panel?")

    assert "Jutta Heix" in reply.text
    assert "Jutta Heix" in words(reply).splitlines()[1]
    assert titles(reply) == [PANEL]


@pytest.mark.parametrize("greeting", ["hi", "Hello!", "hey there", "help"])
def test_greeting_gives_help(assistant: Assistant, greeting: str) -> None:
    reply = assistant.ask(text=greeting)

    assert reply.text == "PartnerUp helps you at Days to partner up."
    assert "/agenda" in words(reply)
    assert "/venue" in words(reply)
    assert EXAMPLE in words(reply)


@pytest.mark.parametrize(
    "question",
    ["what is the meaning of life", "asdfgh", "qwertyuiop zxcvbnm", "🤖", "", "   ", "<@U123>", "?!?"],
)
def test_nonsense_gets_the_fallback_with_examples(assistant: Assistant, question: str) -> None:
    assert_fallback_with_examples(assistant.ask(text=question))


def test_ten_kilobytes_of_question_is_answered(assistant: Assistant) -> None:
    reply = assistant.ask(text="when does Olweus speak? " * 420)

    assert reply.text.strip()
    assert "when does Olweus speak? when does" not in words(reply)


def test_a_day_that_does_not_exist(assistant: Assistant) -> None:
    reply = assistant.ask(text="where is day 9?")

    assert "There is no day 9" in reply.text
    assert "day 1 (Thu 3 Dec) and day 2 (Fri 4 Dec)" in words(reply)


# --- /venue ---------------------------------------------------------------------------------------


def test_venue_lists_both_venues(assistant: Assistant) -> None:
    reply = assistant.venue(text="")

    assert [card.venue.name for card in venue_cards(reply)] == [OCC, OSP]
    assert [[number for number, _ in card.days] for card in venue_cards(reply)] == [[1], [2]]
    assert reply.text == "Venues of Days to partner up"


@pytest.mark.parametrize("query", ["day 2", "friday", "tomorrow", "4 dec"])
def test_venue_for_day_two(assistant: Assistant, query: str) -> None:
    reply = assistant.venue(text=query)

    assert [card.venue.name for card in venue_cards(reply)] == [OSP]
    assert reply.text == f"Day 2 is at {OSP}, Gaustadalléen 21, 0349 Oslo"


@pytest.mark.parametrize("query", ["science park", "Science Park", "osp", "gaustadalleen"])
def test_venue_by_name_or_address(assistant: Assistant, query: str) -> None:
    reply = assistant.venue(text=query)

    assert [card.venue.name for card in venue_cards(reply)] == [OSP]


@pytest.mark.parametrize("query", ["cancer cluster", "Ullernchausseen", "occ"])
def test_venue_day_one_by_name_or_address(assistant: Assistant, query: str) -> None:
    assert [card.venue.name for card in venue_cards(assistant.venue(text=query))] == [OCC]


def test_unknown_venue_is_a_polite_not_found_naming_the_venues(assistant: Assistant) -> None:
    reply = assistant.venue(text="nowhere land")

    assert venue_cards(reply) == []
    assert reply.text == "I don't know that venue."
    assert OCC in words(reply)
    assert OSP in words(reply)
    assert "/venue day 2" in words(reply)


def test_venue_for_a_day_that_does_not_exist(assistant: Assistant) -> None:
    reply = assistant.venue(text="day 5")

    assert venue_cards(reply) == []
    assert "There is no day 5" in reply.text


def test_who_is_speaking_now_says_what_is_on(assistant: Assistant) -> None:
    reply = assistant.ask(text="who is speaking now?")
    assert reply.text.startswith("On now:")
    assert "From lab to patient" in reply.text


def test_after_lunch_says_when_lunch_ends(assistant: Assistant) -> None:
    reply = assistant.ask(text="what's on after lunch?")
    assert reply.text == "After Lunch (Thu 3 Dec, ends 13:30):"
