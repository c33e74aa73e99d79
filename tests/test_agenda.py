"""``/agenda`` as a person sees it: which sessions, which words, which buttons."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.agenda.listing import ACTION_PAGE, decode_query
from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.replies import Actions, Button, Heading, Note, Paragraph, Reply, SessionCard, VenueCard
from tests.conftest import OSLO, oslo

OLWEUS_TALK = "From lab to patient: cancer immunotherapy research at Oslo University Hospital"
PITCHES = {"Start-up pitches: oncology and immunotherapy", "Start-up pitches: diagnostics and health tech"}
DAY_2_FIRST = "Registration and coffee"
DAY_2_MARKERS = {"Welcome to day 2", "Digital pathology and AI in cancer diagnostics"}


def cards(reply: Reply) -> list[SessionCard]:
    return [part for part in reply.parts if isinstance(part, SessionCard)]


def titles(reply: Reply) -> list[str]:
    return [card.session.title for card in cards(reply)]


def local_days(reply: Reply) -> set[str]:
    return {card.session.starts_at.astimezone(OSLO).date().isoformat() for card in cards(reply)}


def buttons(reply: Reply) -> list[Button]:
    found = [button for part in reply.parts if isinstance(part, Actions) for button in part.buttons]
    return found + ([reply.share] if reply.share else [])


def visible_texts(reply: Reply) -> list[str]:
    """Every piece of text a renderer would show."""
    texts = [reply.text]
    for part in reply.parts:
        if isinstance(part, Heading | Paragraph | Note):
            texts.append(part.text)
        elif isinstance(part, SessionCard):
            texts.append(part.session.title)
        elif isinstance(part, VenueCard):
            texts.append(part.venue.name)
    texts.extend(button.label for button in buttons(reply))
    return texts


def more_button(reply: Reply) -> Button:
    (button,) = [b for b in buttons(reply) if b.label.startswith("More")]
    assert button.action == ACTION_PAGE
    return button


# --- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["olweus", "OLWEUS", "olveus", "Olweus!!", "  olweus  ", "<@U123> olweus"])
def test_olweus_finds_her_talk(assistant: Assistant, query: str) -> None:
    reply = assistant.agenda(text=query)

    assert titles(reply) == [OLWEUS_TALK]
    assert reply.text == "1 session found"
    card = cards(reply)[0]
    assert card.session.starts_at == oslo(3, 10, 10)
    assert card.session.room == "Auditorium"
    assert [s.name for s in card.session.speakers] == ["Johanna Olweus"]


def test_immunotherapy_finds_several_sessions_on_both_days(assistant: Assistant) -> None:
    reply = assistant.agenda(text="immunotherapy")

    found = titles(reply)
    assert len(found) >= 3
    assert OLWEUS_TALK in found
    assert "Start-up pitches: oncology and immunotherapy" in found
    assert "Cancer vaccines and personalised immunotherapy: what makes a good partnering asset" in found
    assert reply.text == f"{len(found)} sessions found"
    assert local_days(reply) == {"2026-12-03", "2026-12-04"}
    assert all(card.show_day for card in cards(reply)), "results on several days say which day"


@pytest.mark.parametrize("query", ["gaustadalleen", "Gaustadalléen", "GAUSTADALLÉEN 21"])
def test_the_day_two_address_finds_day_two_sessions(assistant: Assistant, query: str) -> None:
    reply = assistant.agenda(text=query)

    assert titles(reply)[0] == DAY_2_FIRST
    assert DAY_2_MARKERS <= set(titles(reply))
    assert local_days(reply) == {"2026-12-04"}
    assert reply.text == "14 sessions found"


@pytest.mark.parametrize("query", ["startup", "start-up", "pitches", "Start up pitches", "pitch"])
def test_pitch_words_find_both_pitch_sessions(assistant: Assistant, query: str) -> None:
    reply = assistant.agenda(text=query)

    assert PITCHES <= set(titles(reply))
    assert OLWEUS_TALK not in titles(reply)


def test_search_that_matches_nothing_suggests_what_to_try(assistant: Assistant) -> None:
    reply = assistant.agenda(text="quantum blockchain xylophone")

    assert titles(reply) == []
    assert reply.text == "No session matches that search."
    paragraphs = [p.text for p in reply.parts if isinstance(p, Paragraph)]
    notes = [n.text for n in reply.parts if isinstance(n, Note)]
    assert paragraphs == ["I found no session matching that search."]
    assert any("/agenda olweus" in note and "/agenda day 2" in note for note in notes)


@pytest.mark.parametrize("query", ["friday pitches", "2026-12-04 pitches", "pitches tomorrow"])
def test_search_within_a_named_date(assistant: Assistant, query: str) -> None:
    assert titles(assistant.agenda(text=query)) == ["Start-up pitches: diagnostics and health tech"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("pitches day 2", ["Start-up pitches: diagnostics and health tech"]),
        ("olweus day 1", [OLWEUS_TALK]),
        ("pitches on day 1", ["Start-up pitches: oncology and immunotherapy"]),
    ],
)
def test_search_within_a_day(assistant: Assistant, query: str, expected: list[str]) -> None:
    assert titles(assistant.agenda(text=query)) == expected


# --- one day's programme ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["day 2", "Day 2", "tomorrow", "friday", "Friday", "4 dec", "4th of December", "2026-12-04"]
)
def test_naming_day_two_gives_its_programme(assistant: Assistant, query: str) -> None:
    reply = assistant.agenda(text=query)

    assert reply.text == "Days to partner up: day 2, Friday 4 December, at Oslo Science Park"
    assert titles(reply)[0] == DAY_2_FIRST
    assert DAY_2_MARKERS <= set(titles(reply))
    assert local_days(reply) == {"2026-12-04"}
    assert "At Oslo Science Park" in visible_texts(reply)


def test_empty_query_before_the_event_gives_day_one(assistant: Assistant, clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 26, 12, 0, tzinfo=OSLO))

    reply = assistant.agenda(text="")

    assert reply.text == "Days to partner up: day 1, Thursday 3 December, at Oslo Cancer Cluster Innovation Park"
    assert titles(reply)[0] == "Registration and coffee"
    assert local_days(reply) == {"2026-12-03"}


def test_empty_query_on_day_two_gives_day_two(assistant: Assistant, clock: FixedClock) -> None:
    clock.set(oslo(4, 8, 0))

    reply = assistant.agenda(text="")

    assert reply.text.startswith("Days to partner up: day 2, Friday 4 December")
    assert local_days(reply) == {"2026-12-04"}


def test_empty_query_after_the_event_says_it_is_over(assistant: Assistant, clock: FixedClock) -> None:
    clock.set(oslo(10, 9, 0))

    reply = assistant.agenda(text="")

    assert local_days(reply) == {"2026-12-04"}
    assert "Days to partner up is over; this was its programme." in visible_texts(reply)


def test_day_seven_says_which_days_exist(assistant: Assistant) -> None:
    reply = assistant.agenda(text="day 7")

    assert titles(reply) == []
    assert reply.text == "There is no day 7: Days to partner up has day 1 (Thu 3 Dec) and day 2 (Fri 4 Dec)."
    assert reply.text in visible_texts(reply)[1:], "the message is in the reply's body, not only its summary"


@pytest.mark.parametrize("query", ["saturday", "25 dec", "2026-02-30"])
def test_a_day_the_event_is_not_on_says_which_days_exist(assistant: Assistant, query: str) -> None:
    reply = assistant.agenda(text=query)

    assert titles(reply) == []
    assert "day 1 (Thu 3 Dec) and day 2 (Fri 4 Dec)" in reply.text


def test_tomorrow_on_the_last_day_says_the_event_is_not_on(assistant: Assistant, clock: FixedClock) -> None:
    clock.set(oslo(4, 9, 0))

    reply = assistant.agenda(text="tomorrow")

    assert titles(reply) == []
    assert reply.text.startswith("Days to partner up is not on tomorrow")


# --- now and next ---------------------------------------------------------------------------------


def test_now_during_olweus_shows_her_talk(assistant: Assistant) -> None:
    reply = assistant.agenda(text="now")

    assert titles(reply) == [OLWEUS_TALK]
    assert reply.text == f"On now: {OLWEUS_TALK}"


def test_next_during_olweus_shows_what_starts_next(assistant: Assistant) -> None:
    reply = assistant.agenda(text="next")

    found = titles(reply)
    assert found[0] == "Coffee break"
    assert cards(reply)[0].session.starts_at == oslo(3, 10, 50)
    assert "Start-up pitches: oncology and immunotherapy" in found
    assert OLWEUS_TALK not in found
    assert all(card.session.starts_at > oslo(3, 10, 30) for card in cards(reply))
    assert reply.text.startswith("Next: Coffee break")


def test_now_between_sessions_shows_what_comes_next(assistant: Assistant, clock: FixedClock) -> None:
    clock.set(oslo(3, 16, 55))  # between the tour (ends 16:50) and the reception (17:00)

    reply = assistant.agenda(text="now")

    assert reply.text == "Nothing is on right now."
    assert titles(reply)[0] == "Networking reception"


def test_now_and_next_after_the_event(assistant: Assistant, clock: FixedClock) -> None:
    clock.set(oslo(5, 12, 0))

    assert titles(assistant.agenda(text="now")) == []
    assert assistant.agenda(text="now").text == "Nothing is on right now, and nothing more is scheduled."
    assert assistant.agenda(text="next").text == "Nothing more is scheduled."


# --- paging -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["day 1", ""])
def test_day_one_pages_ten_then_five(assistant: Assistant, query: str) -> None:
    first = assistant.agenda(text=query)

    assert len(titles(first)) == 10
    assert "Showing 1–10 of 15." in visible_texts(first)
    value = more_button(first).value
    next_query, next_page = decode_query(value)
    assert next_page == 2

    second = assistant.agenda(text=next_query, page=next_page)

    assert len(titles(second)) == 5
    assert "Showing 11–15 of 15." in visible_texts(second)
    assert not [b for b in buttons(second) if b.label.startswith("More")]
    assert any(b.label.startswith("◀ Previous") for b in buttons(second))
    keys = [card.session.key for card in cards(first) + cards(second)]
    assert len(set(keys)) == 15
    assert titles(second)[-1] == "Networking reception"
    assert local_days(first) | local_days(second) == {"2026-12-03"}


def test_search_results_page_too(assistant: Assistant) -> None:
    first = assistant.agenda(text="Gaustadalléen")
    query, page = decode_query(more_button(first).value)

    second = assistant.agenda(text=query, page=page)

    assert len(titles(first)) == 10
    assert len(titles(second)) == 4
    assert titles(second)[-1] == "Farewell coffee and networking"


def test_a_page_past_the_end_shows_the_last_page(assistant: Assistant) -> None:
    reply = assistant.agenda(text="day 1", page=99)

    assert len(titles(reply)) == 5
    assert "Showing 11–15 of 15." in visible_texts(reply)


@pytest.mark.parametrize("value", ["", "not json", "[1, 2]", '{"q": "day 1", "p": "two"}', '{"p": -5}', "null"])
def test_a_tampered_button_value_gives_the_plain_agenda(assistant: Assistant, value: str) -> None:
    query, page = decode_query(value)

    reply = assistant.agenda(text=query, page=page)

    assert page >= 1
    assert titles(reply)


# --- whatever people type -------------------------------------------------------------------------

BAD_INPUTS = {
    "empty": "",
    "10 kB": "x" * 10_240,
    "10 kB of words": "where is the olweus talk please " * 330,
    "emoji": "🎉🧬🔬",
    "channel ping": "<!channel>",
    "mention": "<@U123>",
    "link": "<http://x|y>",
    "bold": "*bold*",
    "markup mix": "<!here> *olweus* <http://evil.example|click me>",
    "control characters": "\x00\u202e\u200b",
}
RAW_MARKUP = ["<!channel>", "<!here>", "<@U123>", "<http", "|y>", "*bold*", "*olweus*", "evil.example", "click me", "x" * 50]


@pytest.mark.parametrize("text", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_gets_a_reply_without_raw_markup(assistant: Assistant, text: str) -> None:
    reply = assistant.agenda(text=text)

    assert reply.text.strip()
    assert reply.parts
    for shown in visible_texts(reply):
        for markup in RAW_MARKUP:
            assert markup not in shown, f"{markup!r} shown in {shown!r}"


@pytest.mark.parametrize("text", ["<!channel>", "<@U123>", "<http://x|y>"])
def test_markup_alone_counts_as_an_empty_query(assistant: Assistant, text: str) -> None:
    assert assistant.agenda(text=text).text == assistant.agenda(text="").text
