"""The console loop: each line, as the current persona, goes to the same assistant Slack uses.

It is how a newcomer sees the bot work in a minute, and the model for further adapters.
Slash commands work as in Slack; anything else is a question, as in a direct message.
"""

from __future__ import annotations

from typing import TextIO

from bot.agenda import ACTION_PAGE, ACTION_SHARE, decode_query
from bot.assistant import Assistant
from bot.replies import Button, Paragraph, Reply
from bot.text import clean_input, tokens
from handlers.console.render import render

BANNER = """PartnerUp console: you are {who}. Type what you would type in Slack.
  /agenda, /agenda day 2, /agenda olweus, /venue, /partnerup help, /home
  a question, e.g. "when does Olweus speak?"
  a button's number to press it; /as <name> to become someone else; /quit to leave"""


class Console:
    """One console conversation; :meth:`handle` is what tests drive."""

    def __init__(self, assistant: Assistant, *, who: str = "Ada") -> None:
        self.assistant = assistant
        self.who = who
        self.buttons: list[Button] = []

    def banner(self) -> str:
        return BANNER.format(who=self.who)

    def handle(self, line: str) -> str | None:
        """Answer one input line; ``None`` means the person wants to leave."""
        line = line.strip()
        if not line:
            return ""
        if line.isdigit():
            return self.press(int(line))
        command, _, rest = line.partition(" ") if line.startswith("/") else ("", "", line)
        match command.lower():
            case "/quit" | "/exit":
                return None
            case "/as":
                name = clean_input(rest)[:60]
                if not tokens(name):
                    return "Say who you want to be, e.g. /as Bjørn"
                self.who = name
                return f"You are now {self.who}."
            case "/whoami":
                return f"You are {self.who}."
            case "/agenda":
                return self.show(self.assistant.agenda(text=rest))
            case "/venue" | "/venues":
                return self.show(self.assistant.venue(text=rest), share=False)
            case "/partnerup" | "/help":
                reply = self.assistant.help() if tokens(rest) in ([], ["help"]) else self.assistant.ask(text=rest)
                return self.show(reply, share=False)
            case "/home":
                return self.show(self.assistant.home(), share=False)
            case "":
                return self.show(self.assistant.ask(text=rest), share=False)
            case _:
                return self.show(
                    Reply(text="Unknown command").add(
                        Paragraph("I don't know that command. Try /agenda, /venue, /partnerup help or /quit.")
                    ),
                    share=False,
                )

    def press(self, number: int) -> str:
        if not 1 <= number <= len(self.buttons):
            return "There is no button with that number on the last answer."
        button = self.buttons[number - 1]
        query, page = decode_query(button.value)
        if button.action == ACTION_PAGE:
            return self.show(self.assistant.agenda(text=query, page=page))
        if button.action == ACTION_SHARE:
            reply = self.assistant.agenda(text=query, page=page)
            reply.parts = [p for p in reply.parts if not hasattr(p, "buttons")]
            text, _ = render(reply, with_share=False)
            return f"(shared in the channel by {self.who})\n{text}"
        return "That button does nothing here yet."

    def show(self, reply: Reply, *, share: bool = True) -> str:
        text, self.buttons = render(reply, with_share=share)
        return text

    def run(self, stdin: TextIO, stdout: TextIO, *, interactive: bool = False) -> None:
        stdout.write(self.banner() + "\n")
        while True:
            if interactive:
                stdout.write(f"\n{self.who}> ")
                stdout.flush()
            line = stdin.readline()
            if not line:
                break
            answer = self.handle(line)
            if answer is None:
                break
            if answer:
                stdout.write(answer + "\n\n")
                stdout.flush()
        stdout.write("Bye.\n")
