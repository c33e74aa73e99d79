"""The console door, through its real input and output."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.assistant import Assistant
from handlers.console.repl import Console

ROOT = Path(__file__).resolve().parents[1]


def transcript(assistant: Assistant, *lines: str) -> str:
    out = io.StringIO()
    Console(assistant).run(io.StringIO("".join(line + "\n" for line in lines)), out)
    return out.getvalue()


def test_agenda_search_and_question(assistant: Assistant) -> None:
    out = transcript(assistant, "/agenda olweus", "when does Olweus speak?")
    assert "10:10–10:50 CET  From lab to patient" in out
    assert "Johanna Olweus speaks on Thu 3 Dec at 10:10" in out
    assert "[1] Share in channel" in out


def button_number(text: str, label: str) -> str:
    match = re.search(r"\[(\d+)\] " + re.escape(label), text)
    assert match, f"no {label!r} button in:\n{text}"
    return match.group(1)


def test_buttons_are_numbered_and_can_be_pressed(assistant: Assistant) -> None:
    console = Console(assistant)
    first_page = console.handle("/agenda day 1")
    assert "Networking reception" not in first_page
    second_page = console.handle(button_number(first_page, "More ▶"))
    assert "Networking reception" in second_page
    assert "Showing 11–15 of 15." in second_page


def test_share_shows_what_the_channel_would_see(assistant: Assistant) -> None:
    console = Console(assistant)
    answer = console.handle("/agenda olweus")
    shared = console.handle(button_number(answer, "Share in channel"))
    assert "(shared in the channel by Ada)" in shared
    assert "Remind me" not in shared


def test_switching_who_you_are(assistant: Assistant) -> None:
    out = transcript(assistant, "/as Bjørn Hansen", "/whoami", "/as <!channel>")
    assert "You are now Bjørn Hansen." in out
    assert "You are Bjørn Hansen." in out
    assert "<!channel>" not in out


def test_unknown_commands_and_missing_buttons_get_a_friendly_answer(assistant: Assistant) -> None:
    out = transcript(assistant, "/frobnicate", "7")
    assert "I don't know that command" in out
    assert "There is no button with that number" in out


def test_venue_and_help(assistant: Assistant) -> None:
    out = transcript(assistant, "/venue day 2", "/partnerup help")
    assert "Gaustadalléen 21, 0349 Oslo" in out
    assert "/agenda day 2" in out


def test_python_m_bot_console_runs_on_a_new_embedded_database(tmp_path: Path) -> None:
    """What a newcomer does first: no Slack token, no database, just the console."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="/agenda gaustadalleen\nwhere is day 2?\n/meetings schedule all\n/quit\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "PartnerUp console" in result.stdout
    assert "Oslo Science Park" in result.stdout
    # Day 2 is Fri 4 Dec in the file; once those dates have passed the console moves day 1 to the date it names.
    moved = re.search(r"shown starting (?:today|tomorrow), \w{3} (\d+) (\w{3})\.", result.stdout)
    if moved is None:
        day_two = "Fri 4 Dec"
    else:
        month = datetime.strptime(moved[2], "%b").month
        today = date.today()
        day_one = min(
            (date(year, month, int(moved[1])) for year in (today.year - 1, today.year, today.year + 1)),
            key=lambda d: abs((d - today).days),
        )
        day_two = (day_one + timedelta(days=1)).strftime("%a %-d %b")
    assert f"Day 2 ({day_two}) is at Oslo Science Park" in result.stdout
    assert "Traceback" not in result.stderr
    # A scheduling run: the console prints its result, not the run's log line.
    assert "SCHEDULE ALL\nScheduled 0 meeting(s); 0 could not be placed.\nMeetings booked: " in result.stdout
    assert "scheduling run manual:" not in result.stdout + result.stderr


def test_the_registration_notices_edit_button_shows_the_profile_form(assistant: Assistant, tmp_path: Path) -> None:
    """Someone found on the registration list is told their profile was filled in from it, with Edit."""
    path = tmp_path / "registrations.csv"
    path.write_text("Name;Email;Organisation\nAda Lind;ada@fjordlab.example.no;Fjordlab AS\n", encoding="utf-8")
    assert assistant.people.import_file(path).created == 1
    console = Console(assistant, who="Ada Lind")
    assert assistant.people.claim(participant_id=console.me, email="ada@fjordlab.example.no")
    answer = console.handle("/partners")
    assert "We filled in your profile from your registration; check it." in answer
    edited = console.handle(button_number(answer, "Edit"))
    assert "Fjordlab AS" in edited and "/profile org=" in edited
