"""The console loop: each line, as the current persona, goes to the same assistant Slack uses.

It is how a newcomer sees the bot work in a minute, and the model for further adapters.
Slash commands work as in Slack; anything else is a question, as in a direct message.
Direct messages the bot sends (meeting requests, confirmations) are printed as they go
out, with their buttons numbered for the person they went to.
"""

from __future__ import annotations

import logging
import threading
from datetime import date
from typing import TextIO

from bot.agenda.listing import ACTION_PAGE, ACTION_SHARE, decode_query
from bot.announcements import replies as ar
from bot.assistant import Assistant, say
from bot.errors import UserError
from bot.partnering import replies as mr
from bot.partnering.participants import ORG_TYPE_LABELS, PersonInfo, ProfileUpdate, parse_interests
from bot.people.replies import EDIT_PROFILE
from bot.privacy import replies as pr
from bot.reminders import replies as rr
from bot.replies import Actions, Button, Reply
from bot.text import clean_input, fold, tokens
from bot.worker import Worker
from handlers.console import announce as announce_console
from handlers.console.notifier import ConsoleNotifier
from handlers.console.render import render

PLATFORM = "console"
log = logging.getLogger(__name__)
BANNER = """PartnerUp console: you are {who}. Type what you would type in Slack.
  /agenda, /agenda day 2, /agenda olweus, /venue, /partnerup help, /home
  a question, e.g. "when does Olweus speak?"
  /profile, /partners [words], /meet @Name <topic> [| day 2], /meetings, /reminders, /privacy
  organisers: /announce [to everyone|day 2|...] [at 08:00]: <text>, /announce list, /report
  a button's number to press it; /as <name> to become someone else; /quit to leave"""
PROFILE_HELP = (
    "Set your profile like this:\n"
    "/profile org=Biogenix; type=biotech; role=Head of BD; offers=TCR platform; seeks=pharma partner; interests=oncology, TCR\n"
    f"Types: {', '.join(ORG_TYPE_LABELS)}"
)
PROFILE_KEYS = {"org": "organisation", "organisation": "organisation", "type": "org_type", "role": "role",
                "offers": "offers", "offer": "offers", "seeks": "seeks", "seek": "seeks", "interests": "interests"}  # fmt: skip


def persona_id(name: str) -> str:
    return "-".join(tokens(name))[:64] or "someone"


class Console:
    """One console conversation; :meth:`handle` is what tests drive."""

    def __init__(self, assistant: Assistant, *, who: str = "Ada", worker: Worker | None = None) -> None:
        """``worker``: the same worker as ``python -m bot worker``, run in-process after each line
        (and every few seconds in an interactive session) so reminders show up here too."""
        self.assistant = assistant
        self.worker = worker
        self._lock = threading.Lock()
        self.buttons: dict[str, list[Button]] = {}
        self._messages: list[str] = []
        assistant.add_notifier(PLATFORM, ConsoleNotifier(self._messages.append, self.remember))
        self.who = ""
        self.me = 0
        self.become(who)

    # --- identity ------------------------------------------------------------------------------

    def become(self, name: str) -> None:
        self.who = name
        self.me = self.identify(name)

    def identify(self, name: str) -> int:
        """The participant called ``name`` in the console, created on first mention (the demo cast uses it)."""
        return self.assistant.identify(
            platform=PLATFORM, external_id=persona_id(name), lookup=lambda: PersonInfo(display_name=name)
        )

    @property
    def key(self) -> str:
        return persona_id(self.who)

    def remember(self, external_id: str, buttons: list[Button]) -> None:
        if buttons:
            self.buttons[external_id] = buttons

    def banner(self) -> str:
        return BANNER.format(who=self.who)

    # --- input -----------------------------------------------------------------------------------

    def handle(self, line: str) -> str | None:
        """Answer one input line, followed by the direct messages it caused; ``None`` means leave."""
        with self._lock:
            answer = self._answer(line)
            if answer is not None and self.worker is not None:
                self.worker.tick()
        if answer is None or not self._messages:
            return answer
        messages, self._messages[:] = "".join(self._messages).rstrip("\n"), []
        return f"{answer}\n\n{messages}" if answer else messages

    def _answer(self, line: str) -> str | None:
        line = line.strip()
        if not line:
            return ""
        if not self.me and not line.lower().startswith(("/as ", "/quit", "/exit")):  # deleted their data: a stranger now
            self.become(self.who)
        if line.isdigit():
            return self.press(int(line))
        command, _, rest = line.partition(" ") if line.startswith("/") else ("", "", line)
        a = self.assistant
        match command.lower():
            case "/quit" | "/exit":
                return None
            case "/as":
                name = clean_input(rest)[:60]
                if not tokens(name):
                    return "Say who you want to be, e.g. /as Bjørn"
                known = self.assistant.participants.find_by_name(platform=PLATFORM, name=name)
                if len(known) > 1:
                    return "More than one person matches: " + ", ".join(p.name for p in known) + ". Say the full name."
                self.become(known[0].name if known else name)
                return f"You are now {self.who}." + ("" if known else " (new here)")
            case "/whoami":
                return f"You are {self.who}."
            case "/session":
                return self.show(a.edit_session(external_id=self.key, text=rest))
            case "/agenda":
                return self.show(a.agenda(text=rest, actor=self.me))
            case "/venue" | "/venues":
                return self.show(a.venue(text=rest), share=False)
            case "/partnerup" | "/help":
                reply = a.help() if tokens(rest) in ([], ["help"]) else a.ask(text=rest)
                return self.show(reply, share=False)
            case "/home":
                return self.show(a.home(actor=self.me), share=False)
            case "/profile":
                return self.profile(rest)
            case "/partners":
                return self.show(a.partners(actor=self.me, text=rest))
            case "/meet":
                return self.meet(rest)
            case "/meetings":
                return self.meetings(rest)
            case "/decline":
                number, _, reason = rest.strip().partition(" ")
                if not number.lstrip("#").isdigit():
                    return "Say which request and why, e.g. /decline 3 fully booked that day"
                return self.show(a.decline(actor=self.me, request_id=int(number.lstrip("#")), reason=reason))
            case "/reminders":
                return self.show(a.reminders_overview(actor=self.me))
            case "/privacy":
                return self.show(a.privacy_overview(actor=self.me))
            case "/announce":
                return self.announce(rest)
            case "/report":
                words = tokens(rest)
                if not words:
                    return self.show(a.organiser_summary(external_id=self.key, actor=self.me))
                if words[0] == "dashboard":
                    reply, private = a.dashboard_link(external_id=self.key, actor=self.me)
                    sent = f"\n\nDirect message to {self.who}:\n" + render(private, with_share=False)[0] if private else ""
                    return self.show(reply) + sent
                reply, csv_text = a.report_csv(external_id=self.key, kind=words[0])
                return self.show(reply) + ("\n" + csv_text if csv_text else "")
            case "":
                return self.show(a.ask(text=rest, actor=self.me), share=False)
            case _:
                return self.show(say("I don't know that command. Try /agenda, /venue, /meetings, /partnerup help or /quit."))

    def profile(self, rest: str) -> str:
        if not rest.strip():
            shown = self.show(self.assistant.profile(actor=self.me))
            return shown + "\n" + PROFILE_HELP
        current = self.assistant.profile_of(self.me)
        fields = {"organisation": current.organisation, "org_type": current.org_type, "role": current.role,
                  "offers": current.offers, "seeks": current.seeks, "interests": ", ".join(current.interests)}  # fmt: skip
        for pair in rest.split(";"):
            name, sep, value = pair.partition("=")
            field = PROFILE_KEYS.get(fold(name).strip())
            if not sep or field is None:
                return f"I don't understand {clean_input(name)[:30]!r}.\n{PROFILE_HELP}"
            fields[field] = value.strip()
        org_type = fold(fields["org_type"]).replace("-", "").strip()
        try:
            interests = parse_interests(fields["interests"])
        except UserError as error:
            return str(error)
        update = ProfileUpdate(organisation=fields["organisation"], org_type=org_type, role=fields["role"],
                               offers=fields["offers"], seeks=fields["seeks"], interests=interests)  # fmt: skip
        return self.show(self.assistant.save_profile(actor=self.me, update=update))

    def meet(self, rest: str) -> str:
        text = rest.strip()
        if not text:
            return "Say who and why, e.g. /meet @Bjørn TCR platform licensing | day 2"
        text, _, day = text.partition("|")
        if text.startswith('"') and '"' in text[1:]:
            name, _, topic = text[1:].partition('"')
            people = self.assistant.participants.find_by_name(platform=PLATFORM, name=name)
        else:  # the longest run of words that names someone: "@Maya Lund seed round" → Maya Lund
            words = text.lstrip("@").split()
            people, name, topic = [], words[0] if words else "", ""
            for cut in range(len(words), 0, -1):
                exact = [p for p in self.assistant.participants.find_by_name(platform=PLATFORM, name=" ".join(words[:cut]))
                         if fold(p.name) == fold(" ".join(words[:cut]))]  # fmt: skip
                if exact:
                    people, name, topic = exact, " ".join(words[:cut]), " ".join(words[cut:])
                    break
            if not people and words:
                people = self.assistant.participants.find_by_name(platform=PLATFORM, name=words[0])
                topic = " ".join(words[1:])
        if not people:
            return f"Nobody called {clean_input(name)[:40]!r} is here yet. Create them with /as <name> first."
        if len(people) > 1:
            return "More than one person matches: " + ", ".join(p.name for p in people) + ". Use the full name in quotes."
        return self.show(self.assistant.request_meeting(actor=self.me, invitee=people[0].id, topic=topic, day=day))

    def meetings(self, rest: str) -> str:
        words = tokens(rest)
        a = self.assistant
        if words in (["schedule", "all"], ["scheduleall"]):
            return self.show(a.schedule_all(external_id=self.key, actor=self.me))
        if words == ["export"]:
            reply, csv_text = a.export_meetings(external_id=self.key)
            return self.show(reply) + ("\n" + csv_text if csv_text else "")
        if words == ["tables"]:
            return self.show(a.table_schedule(external_id=self.key))
        return self.show(a.meetings(actor=self.me))

    def announce(self, rest: str) -> str:
        a = self.assistant
        if tokens(rest) == ["list"]:
            return self.show(a.announcements_list(external_id=self.key))
        try:
            draft = announce_console.parse(a, rest)
            preview, draft_id = a.draft_announcement(external_id=self.key, actor=self.me, draft=draft)
        except UserError as error:
            return str(error)
        label = "Schedule" if draft.send_at else "Send"
        preview.add(Actions((Button(label, ar.CONFIRM, str(draft_id), "primary"),)))
        return self.show(preview)

    # --- buttons ---------------------------------------------------------------------------------

    def press(self, number: int) -> str:
        buttons = self.buttons.get(self.key, [])
        if not 1 <= number <= len(buttons):
            return "There is no button with that number on the last answer."
        button = buttons[number - 1]
        a, me = self.assistant, self.me
        if button.action == ACTION_PAGE:
            query, page = decode_query(button.value)
            return self.show(a.agenda(text=query, page=page, actor=me))
        if button.action in (rr.MEETING_REMINDERS, rr.DIGEST):
            on = button.value == "on"
            if button.action == rr.MEETING_REMINDERS:
                return self.show(a.set_reminder_preferences(actor=me, meeting_reminders=on))
            return self.show(a.set_reminder_preferences(actor=me, daily_digest=on))
        if button.action == ACTION_SHARE:
            query, page = decode_query(button.value)
            reply = a.agenda_to_share(text=query, page=page)
            text, _ = render(reply, with_share=False)
            return f"(shared in the channel by {self.who})\n{text}"
        if button.action == mr.PROPOSE_DAY:
            request_id, kind, target = (button.value.split(":") + ["", "", ""])[:3]
            if not request_id.isdigit():
                return "That button is broken."
            if kind == "day":
                return self.show(a.propose(actor=me, request_id=int(request_id), day=date.fromisoformat(target)))
            return self.show(a.propose(actor=me, request_id=int(request_id), block_id=int(target)))
        if button.action in (pr.DOWNLOAD, pr.HIDE, pr.SHOW, pr.DELETE, pr.DELETE_CONFIRM, pr.DELETE_CANCEL):
            return self.privacy_button(button.action)
        if button.action == EDIT_PROFILE:  # the registration notice's Edit: the console's form is /profile
            return self.profile("")
        if button.action == mr.REQUEST_MEETING and button.value.isdigit():
            return f"Type /meet @{a.profile_of(int(button.value)).name} <topic> to ask for a meeting."
        reply = a.press(actor=me, external_id=self.key, action=button.action, value=button.value)
        return "That button does nothing here." if reply is None else self.show(reply)

    def privacy_button(self, action: str) -> str:
        a, me = self.assistant, self.me
        if action == pr.DELETE_CONFIRM:
            answer = self.show(a.delete_my_data(actor=me))
            self.me = 0
            return answer
        handlers = {
            pr.DOWNLOAD: lambda: a.download_my_data(actor=me),
            pr.HIDE: lambda: a.set_hidden(actor=me, hidden=True),
            pr.SHOW: lambda: a.set_hidden(actor=me, hidden=False),
            pr.DELETE: lambda: a.confirm_delete_my_data(actor=me),
            pr.DELETE_CANCEL: lambda: say("Nothing was deleted."),
        }
        return self.show(handlers[action]())

    def show(self, reply: Reply, *, share: bool = True) -> str:
        text, buttons = render(reply, with_share=share)
        self.buttons[self.key] = buttons
        return text

    def tick_in_background(self, stdout: TextIO, *, every: float = 5.0) -> threading.Event:
        """Run the worker every few seconds and print what it sends (interactive sessions)."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(every):
                with self._lock:
                    if self.worker is not None:
                        self.worker.tick()
                    if self._messages:
                        stdout.write("\n" + "".join(self._messages))
                        self._messages.clear()
                        stdout.write(f"{self.who}> ")
                        stdout.flush()

        threading.Thread(target=loop, name="console-worker", daemon=True).start()
        return stop

    def run(self, stdin: TextIO, stdout: TextIO, *, interactive: bool = False, intro: str = "") -> None:
        stdout.write(self.banner() + "\n" + (intro + "\n" if intro else ""))
        with self._lock:  # what is already due (the demo's request and meeting reminder) shows before the first prompt
            if self.worker is not None:
                self.worker.tick()
            if self._messages:
                stdout.write("\n" + "".join(self._messages))
                self._messages.clear()
        if interactive and self.worker is not None:
            self.tick_in_background(stdout)
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
