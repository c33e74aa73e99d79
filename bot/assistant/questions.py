"""The assistant's questions desk: free-text questions, about the event, about the asker, and about who is here.

The agenda layer reads every question (``bot.agenda.questions.read``) and answers those about
the event. Two kinds need data the agenda may not import, so they are answered here, above
partnering: personal questions ("when is my next meeting?", "am I free at 14:00?") from the
asker's own meetings and bookmarks only, and directory questions ("who from Roche is here?")
from speakers and from the partner directory's own search, so whatever the directory hides
stays hidden.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz

from bot import lang
from bot.agenda import answers
from bot.agenda import questions as agenda_questions
from bot.agenda.catalog import EventView
from bot.agenda.days import default_day
from bot.agenda.understand import PARTS_OF_DAY, Question, phrases
from bot.partnering.replies import REQUEST_MEETING
from bot.replies import Actions, Button, MeetingCard, Note, Paragraph, ProfileCard, Reply, SessionCard
from bot.text import clean_input, fold, tokens
from bot.timefmt import clock

log = logging.getLogger(__name__)
MAX_PEOPLE = 5
_MEETING_WORDS = {"meeting", "meetings", "meet", "with", "mote", "motet", "moter", "med", "next", "neste"}


class QuestionsDesk:
    """Free-text questions (DM, @mention, ``/partnerup <question>``, console). Mixed into :class:`bot.assistant.Assistant`."""

    def ask(self, *, text: str, actor: int | None = None) -> Reply:
        """Answer a question; with ``actor`` (a direct message), personal questions and their Slack language too."""

        def build(event: EventView) -> Reply:
            now = self.clock.now()
            preferred = lang.from_locale(self.participants.locale_of(actor)) if actor is not None else lang.DEFAULT
            q = agenda_questions.read(event, question=text, now=now, preferred=preferred)
            if _personal(q) or self._about_someone_i_meet(q, actor):
                return self._personal_answer(event, q, actor=actor, now=now)
            if _directory(q):
                return self._directory_answer(event, q, actor=actor, button_lang=preferred, typed=text)
            return answers.answer(event, q, now=now)

        return self.with_bookmarks(self._with_event(build), actor)

    # --- about me -------------------------------------------------------------------------------

    def _personal_answer(self, event: EventView, q: Question, *, actor: int | None, now: datetime) -> Reply:
        code = q.lang
        if actor is None:
            return _say(code, "who_are_you")
        day = q.day or (default_day(event, now) if q.at is not None else None)
        if q.has("bookmarks"):
            return self._bookmarks(event, q, actor=actor, day=day)
        if q.has("free"):
            if q.at is None:
                return _say(code, "need_time")
            return self._free(event, q, actor=actor, day=day)
        meetings = self.partnering.overview(participant_id=actor).upcoming
        when = {"day": "", "at": ""}
        if q.at is not None and day is not None:
            moment = datetime.combine(day, q.at, tzinfo=event.zone)
            when = {"day": lang.short_day(day, code), "at": lang.at_time(q.at.strftime("%H:%M"), code)}
            found = [m for m in meetings if m.starts_at <= moment < m.ends_at]
            if not found:
                return _say(code, "no_meeting_at", **when)
            m = found[0]
            return _meeting_reply(code, lang.say(code, "meeting_at", name=m.other.name, **_where(m, code)), m)
        name_words = [w for w in q.names if w not in _MEETING_WORDS and len(w) >= 2]
        if name_words:
            mine = [m for m in meetings if _names_match(name_words, m.other.name)]
            if not mine:
                return _say(code, "no_meeting_with", name=" ".join(name_words)[:60])
            m = mine[0]
            return _meeting_reply(code, lang.say(code, "meeting_with", name=m.other.name, **_where(m, code)), m)
        if day is not None:
            meetings = [m for m in meetings if event.local_date(m.starts_at) == day]
        if not meetings:
            return _say(code, "no_meetings")
        m = meetings[0]
        reply = _meeting_reply(code, lang.say(code, "next_meeting", name=m.other.name, **_where(m, code)), m)
        if len(meetings) > 1:
            reply.add(Note(f"+{len(meetings) - 1}: /meetings"))
        return reply

    def _about_someone_i_meet(self, q: Question, actor: int | None) -> bool:
        """ "when do I see Maya?" names someone the asker has a meeting with: about their own meeting."""
        if actor is None or not q.has("meeting") or q.has("how_long"):
            return False
        name_words = [w for w in q.names if w not in _MEETING_WORDS and len(w) >= 3]
        if not name_words:
            return False
        meetings = self.partnering.overview(participant_id=actor).upcoming
        return any(_names_match(name_words, m.other.name) for m in meetings)

    def _bookmarks(self, event: EventView, q: Question, *, actor: int, day: date | None) -> Reply:
        code = q.lang
        ids = self.reminders.bookmarked(actor)
        sessions = [s for s in event.sessions if s.id in ids]
        if day is not None:
            sessions = [s for s in sessions if event.local_date(s.starts_at) == day]
        if q.part:
            start, end = PARTS_OF_DAY[q.part]
            sessions = [s for s in sessions if start <= s.starts_at.astimezone(event.zone).time() < end]
        when = f" ({lang.short_day(day, code)})" if day is not None else ""
        if not sessions:
            return _say(code, "no_bookmarks", when=when)
        lead = lang.say(code, "bookmarks", count=len(sessions), when=when)
        reply = Reply(text=lead, lang=code).add(Paragraph(lead))
        return reply.add(*(SessionCard(s, event.timezone, show_day=day is None) for s in sessions[:10]))

    def _free(self, event: EventView, q: Question, *, actor: int, day: date | None) -> Reply:
        code = q.lang
        day = day or default_day(event, self.clock.now())
        moment = datetime.combine(day, q.at or time(12), tzinfo=event.zone)
        when = {"day": lang.short_day(day, code), "at": lang.at_time(clock(moment, event.timezone), code)}
        meetings = [m for m in self.partnering.overview(participant_id=actor).upcoming if m.starts_at <= moment < m.ends_at]
        ids = self.reminders.bookmarked(actor)
        sessions = [s for s in event.sessions if s.id in ids and s.starts_at <= moment < s.ends_at]
        if not meetings and not sessions:
            return _say(code, "free_yes", **when)
        zone = event.timezone
        lines = [
            "• "
            + lang.say(
                code,
                "free_meeting",
                name=m.other.name,
                start=clock(m.starts_at, zone),
                end=clock(m.ends_at, zone),
                table=m.table,
            )
            for m in meetings
        ]
        lines += [
            "• " + lang.say(code, "free_session", title=s.title, start=clock(s.starts_at, zone), end=clock(s.ends_at, zone))
            for s in sessions
        ]
        lead = _cap(lang.say(code, "free_no", **when))
        reply = Reply(text=f"{lead} {'; '.join(line[2:] for line in lines)}", lang=code)
        reply.add(Paragraph(lead + "\n" + "\n".join(lines)))
        reply.add(*(MeetingCard(m) for m in meetings))
        return reply.add(*(SessionCard(s, zone) for s in sessions))

    # --- who is here ----------------------------------------------------------------------------

    def _directory_answer(self, event: EventView, q: Question, *, actor: int | None, button_lang: str, typed: str) -> Reply:
        code = q.lang
        type_words = {w for c in lang.LANGUAGES for ps in phrases(c).org_types.values() for p in ps for w in p}
        topic = [w for w in q.names if w not in type_words and w not in {"from", "fra", "here", "her"}]
        wanted = {t for t in q.org_types if t != "any"}
        people = self.directory.search(" ".join(topic), exclude=actor, limit=50) if topic else []
        if wanted:
            people = [p for p in people if p.org_type in wanted]
        people = [p for p in people if not p.is_bot][:MAX_PEOPLE]
        speakers = _speakers_matching(event, topic, startups_only="startup" in wanted)
        if not people and not speakers:
            return _say(code, "nobody")
        say = lang.table(code)["say"]
        count = len(people) + len(speakers)
        if q.has("from") and topic:
            orgs = [p.organisation for p in people] + [s[1] for s in speakers]
            org = next((o for o in orgs if all(w in fold(o) for w in topic)), " ".join(topic))
            lead = lang.say(code, "people_from", org=org[:60], count=count)
        elif wanted:
            label = say["type_labels"].get(next(iter(sorted(wanted))), say["type_labels"]["any"])
            lead = lang.say(code, "people_on", kind=label, topic=_as_typed(typed, topic)[:60] or "?", count=count)
        else:
            lead = lang.say(code, "people_found", count=count)
        reply = Reply(text=_cap(lead) + ".", lang=code).add(Paragraph(_cap(lead) + "."))
        if speakers:
            text = "; ".join(
                f"{name} ({org}), {title}, {lang.short_day(day, code)} {start}"
                for name, org, title, day, start in speakers[:MAX_PEOPLE]
            )
            reply.add(Paragraph(lang.say(code, "speakers_from", people=text)))
        label = lang.table(button_lang)["say"]["request_meeting"]
        for person in people:
            reply.add(ProfileCard(person), Actions((Button(label, REQUEST_MEETING, str(person.id), "primary"),)))
        return reply


def _personal(q: Question) -> bool:
    return q.has("me") and q.has("meeting", "bookmarks", "free") and not q.has("how_long")


def _directory(q: Question) -> bool:
    if "pitch" in q.kinds or q.has("how_long"):
        return False
    if q.has("here") and (q.has("from") or q.org_types):
        return True
    return (
        bool(q.org_types - {"any"})
        and (q.has("works_on") or q.has("who") or q.has("here"))
        or (bool(q.org_types) and q.has("works_on"))
    )


def _speakers_matching(event: EventView, words: list[str], *, startups_only: bool) -> list[tuple]:
    """Speakers whose organisation the words name ("Roche", "TCR"): name, organisation, session, day, start."""
    if not words:
        return []
    found: dict[str, tuple] = {}
    for hit in event.search_index.search(" ".join(words), fields={"organisation"}):
        s = hit.session
        if startups_only and s.kind != "pitch":
            continue
        for p in s.speakers:
            org = tokens(p.organisation)
            if org and all(any(t.startswith(w) or (len(w) >= 5 and fuzz.ratio(w, t) >= 85) for t in org) for w in words):
                when = (event.local_date(s.starts_at), clock(s.starts_at, event.timezone))
                found.setdefault(p.name, (p.name, p.organisation, s.title, *when))
    return sorted(found.values(), key=lambda row: (row[3], row[4]))


def _as_typed(text: str, words: list[str]) -> str:
    """The topic words as the person wrote them ("TCR", not "tcr")."""
    typed = {fold(w): w for w in tokens_as_typed(text)}
    return " ".join(typed.get(w, w) for w in words)


def tokens_as_typed(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", clean_input(text))


def _names_match(words: list[str], name: str) -> bool:
    parts = tokens(name)
    return all(any(fuzz.ratio(w, n) >= 80 or n.startswith(w) for n in parts) for w in words if len(w) >= 2)


def _where(m, code: str) -> dict[str, str]:
    local = m.starts_at.astimezone(ZoneInfo(m.timezone))
    return {
        "day": lang.short_day(local.date(), code),
        "at": lang.at_time(local.strftime("%H:%M"), code),
        "table": m.table,
        "venue": m.venue,
    }


def _meeting_reply(code: str, lead: str, meeting) -> Reply:
    lead = _cap(lead) + "."
    return Reply(text=lead, lang=code).add(Paragraph(lead), MeetingCard(meeting))


def _say(code: str, key: str, **values) -> Reply:
    text = _cap(lang.say(code, key, **values))
    return Reply(text=text, lang=code).add(Paragraph(text))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
