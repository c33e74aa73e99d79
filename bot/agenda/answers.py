"""Answers to questions about the event, from a parsed :class:`~bot.agenda.understand.Question`.

An answer is focused: the one fact asked for first, in a sentence in the asker's language,
then at most the few sessions (or the venue) that back it. A question it cannot answer gets
"I don't know that" with what it can do, never an unrelated list.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from rapidfuzz import fuzz

from bot import lang
from bot.agenda.catalog import EventView, SessionView, SpeakerView, VenueView
from bot.agenda.days import default_day, today_in_event
from bot.agenda.help import help_reply
from bot.agenda.understand import PARTS_OF_DAY, Question
from bot.agenda.venues import venue_card
from bot.replies import Note, Paragraph, Reply, SessionCard
from bot.text import fold, tokens
from bot.timefmt import clock

FEW = 3  # sessions shown under a list answer ("what's on at 14:00")
PERIOD = 8  # sessions shown for a morning or afternoon


def answer(event: EventView, q: Question, *, now: datetime) -> Reply:
    """The answer to ``q``; ``q.lang`` is the language it was asked in and is answered in."""
    a = _Answer(event, q, now)
    return a.run()


class _Answer:
    def __init__(self, event: EventView, q: Question, now: datetime) -> None:
        self.event, self.q, self.now, self.code = event, q, now, q.lang

    # --- words ---------------------------------------------------------------------------------

    def say(self, key: str, **values) -> str:
        text = lang.say(self.code, key, **values)
        return text[:1].upper() + text[1:]

    def day(self, day: date) -> str:
        return lang.short_day(day, self.code)

    def at(self, instant: datetime) -> str:
        return lang.at_time(clock(instant, self.event.timezone), self.code)

    def moment(self, s: SessionView) -> dict[str, str]:
        return {"day": self.day(self.event.local_date(s.starts_at)), "at": self.at(s.starts_at)}

    def kind_title(self, s: SessionView) -> str:
        noun = lang.table(self.code)["say"]["kind"].get(s.kind, "")
        if not noun or s.kind in fold(s.title):
            return s.title  # "Start-up pitches: ..." says what it is already
        return f"{noun} {s.title}"

    def reply(self, lead: str, *parts) -> Reply:
        lead = lead if lead.endswith((".", ":", "!", "?")) else lead + "."
        reply = Reply(text=lead, lang=self.code).add(Paragraph(lead), *parts)
        return reply

    def cards(self, sessions: list[SessionView], *, show_day: bool = True) -> list[SessionCard]:
        return [SessionCard(s, self.event.timezone, show_day=show_day) for s in sessions]

    # --- finding -------------------------------------------------------------------------------

    def matches(self, words: list[str], *, day: date | None = None, kinds: set[str] | None = None) -> list[SessionView]:
        """Sessions matching the words, best first; a kind or day narrows them when it can."""
        if not words:
            sessions = list(self.event.sessions)
            if kinds:
                sessions = [s for s in sessions if s.kind in kinds]
            else:
                return []
        else:
            index = self.event.search_index
            known = [w for w in words if index.knows(w) or len(w) >= 4]
            if len(known) < len(words) and known:
                words = known  # a short word the agenda never uses ("teh", "u") is a slip, not a topic
            hits = index.search(" ".join(words))
            distinct = len(set(words))
            needed = distinct if distinct <= 2 else -(-2 * distinct // 3)
            good = [h for h in hits if h.matched >= needed]
            if not good:
                return []
            top = max(h.score for h in good)
            sessions = [h.session for h in sorted(good, key=lambda h: -h.score) if h.score >= top * 0.9]
            if kinds:
                narrowed = [s for s in sessions if s.kind in kinds]
                sessions = narrowed or ([] if not self.named_speaker(words) else sessions)
        if day is not None:
            sessions = [s for s in sessions if self.event.local_date(s.starts_at) == day]
        if self.q.part:
            start, end = PARTS_OF_DAY[self.q.part]
            sessions = [s for s in sessions if start <= s.starts_at.astimezone(self.event.zone).time() < end]
        return sorted(sessions, key=lambda s: s.starts_at)

    def pick(self, sessions: list[SessionView]) -> SessionView:
        """The one a person most likely means: the next one still to come, else the first."""
        return next((s for s in sessions if s.ends_at > self.now), sessions[0])

    def named_speaker(self, words: list[str]) -> SpeakerView | None:
        """The speaker the question names ("Nora Kvamme", "olweus"), if any."""
        words = [w for w in words if len(w) >= 3 and not w.isdigit()]
        if not words:
            return None
        best, best_score = None, 0
        seen: set[str] = set()
        hits = self.event.search_index.search(" ".join(words), fields={"speaker"})  # candidates; fuzz only on those
        for session in (h.session for h in hits[:50]):
            for speaker in session.speakers:
                if speaker.name in seen:
                    continue
                seen.add(speaker.name)
                names = tokens(speaker.name)
                hits = sum(any(fuzz.ratio(w, n) >= 80 for n in names) for w in words)
                if hits and hits >= min(len(names), 2) or (hits == 1 and len(names) >= 1 and len(words) == 1):
                    if hits > best_score:
                        best, best_score = speaker, hits
        return best

    def sessions_of(self, speaker: SpeakerView) -> list[SessionView]:
        return [s for s in self.event.sessions if any(p.name == speaker.name for p in s.speakers)]

    def place(self, s: SessionView) -> str:
        return ", ".join(p for p in (s.room, s.venue.name if s.venue else None) if p)

    def target_day(self) -> date:
        return self.q.day or default_day(self.event, self.now)

    # --- the answer ----------------------------------------------------------------------------

    def run(self) -> Reply:
        q = self.q
        if q.day_problem:
            return self.day_problem()
        if not q.tokens:
            return self.dont_know()
        if q.has("unknown"):
            return self.dont_know()
        if q.has("thanks") and len(q.words) <= 2:
            return self.reply(self.say("welcome"))
        if q.has("greeting") and not q.words and len(q.tokens) <= 5:
            if self.code == lang.DEFAULT:
                return help_reply(self.event)
            return self.dont_know(intro=self.say("dont_know_more", event=self.event.name), lead_only=True)
        if q.has("theme") and not q.has("directions", "address", "rooms", "where", "when", "who"):
            return self.theme()
        if q.has("directions", "address", "rooms", "where"):
            return self.where()
        if q.has("how_long"):
            return self.how_long()
        if q.anchor and q.has("after", "before"):
            return self.relative(after=q.has("after"))
        if q.kinds & {"pitch"} and q.org_types and not q.has("yes_no", "when"):
            return self.pitching()
        if q.at is not None and not (q.has("when", "who") and q.words):
            return self.at_moment()
        if q.has("now") and not q.words:
            return self.on_now()
        if q.has("next") and not q.words:
            return self.coming_next()
        if q.has("start", "end") and not q.words and not q.kinds:
            return self.day_edge(start=q.has("start"))
        if not q.words and not q.kinds and (q.part or q.has("whats_on") or q.day):
            return self.period()
        if q.has("who") and not q.has("yes_no"):
            return self.who()
        if q.has("yes_no") and q.first == "yes_no":
            return self.is_there()
        if q.words or q.kinds:
            return self.when()
        return self.dont_know()

    def day_problem(self) -> Reply:
        phrases = [lang.say(self.code, "days_phrase", n=i, day=self.day(d)) for i, d in enumerate(self.event.dates, 1)]
        days = phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} {lang.say(self.code, 'and')} {phrases[-1]}"
        problem = self.q.day_problem
        if problem.startswith("no_day:"):
            return self.reply(self.say("no_day", n=problem.split(":", 1)[1], event=self.event.name, days=days))
        return self.reply(self.say("not_on_day", event=self.event.name, days=days))

    def dont_know(self, *, intro: str | None = None, lead_only: bool = False) -> Reply:
        lead = intro if lead_only else self.say("dont_know")
        table = lang.table(self.code)["say"]
        examples = "\n".join(f"• {example}" for example in table["examples"])
        reply = Reply(text=lead, lang=self.code).add(Paragraph(lead))
        more = "" if lead_only else self.say("dont_know_more", event=self.event.name)
        reply.add(Paragraph(f"{more}\n{examples}".strip()), Note(table["hint"]))
        return reply

    # what the event, a day or a session is about
    def theme(self) -> Reply:
        """ "What is today's theme?", "what is the event about?": the event's own description (with the day's venue
        when a day is named); "what is the Olweus talk about?": that session's description."""
        q = self.q
        sessions = self.matches(q.words, day=q.day, kinds=q.kinds) if (q.words or q.kinds) else []
        if sessions and sessions[0].description:
            first = self.pick(sessions)
            lead = self.say("about_session", what=first.title, description=first.description, **self.moment(first))
            return self.reply(lead, *self.cards([first]))
        event = self.event
        if not event.description:
            return self.reply(self.say("no_description", event=event.name))
        if q.day is not None and event.venues_on(q.day):
            n = event.day_number(q.day)
            lead = self.say("about_day", n=n, day=self.day(q.day), venue=event.venues_on(q.day)[0].name,
                            event=event.name, description=event.description)  # fmt: skip
            return self.reply(lead)
        return self.reply(self.say("about_event", event=event.name, description=event.description))

    # where, how to get there, the address, the rooms
    def where(self) -> Reply:
        q = self.q
        room = self.room_named(q.words)
        if room is not None and not q.has("directions", "address"):
            venue, name = room
            return self.reply(
                self.say("room_at", room=name, venue=venue.name, address=venue.address), venue_card(self.event, venue)
            )
        venue = self.venue_named(q.words)
        if venue is None and room is not None:
            venue = room[0]
        if venue is None and q.words:
            sessions = self.matches(q.words, day=q.day, kinds=q.kinds)
            if sessions:
                first = self.pick(sessions)
                if q.has("directions", "address") and first.venue is not None:
                    venue = first.venue
                else:
                    lead = self.say("is_in", what=first.title, place=self.place(first) or "?", **self.moment(first))
                    shown = [first] + [s for s in sessions if s is not first][:1]
                    shown.sort(key=lambda s: s.starts_at)
                    reply = self.reply(lead, *self.cards(shown))
                    if first.venue is not None:
                        reply.add(venue_card(self.event, first.venue))
                    return reply
            elif not q.day:
                return self.dont_know(intro=self.say("not_found"), lead_only=True)
        if venue is None:
            day = self.target_day()
            found = self.event.venues_on(day)
            number = self.event.day_number(day)
            if not found:
                return self.reply(self.say("no_venue", n=number))
            venue = found[0]
            if not q.has("directions", "address", "rooms"):
                key = "day_at"
                if q.day is None and today_in_event(self.event, self.now) not in self.event.dates:
                    key = "starts_with"
                lead = self.say(
                    key, n=number, day=self.day(day), venue=venue.name, address=venue.address, event=self.event.name
                )
                return self.reply(lead, *(venue_card(self.event, v) for v in found))
        if q.has("rooms"):
            lead = self.say("venue_rooms", venue=venue.name, rooms=", ".join(venue.rooms))
        elif q.has("directions") and venue.directions:
            lead = self.say("venue_directions", venue=venue.name, directions=venue.directions.rstrip("."))
        else:
            lead = self.say("venue_address", venue=venue.name, address=venue.address)
        return self.reply(lead, venue_card(self.event, venue))

    def venue_named(self, words: list[str]) -> VenueView | None:
        """The venue the words name by something only it has (a name word, its address, the station)."""
        if not words:
            return None
        index = self.event.search_index
        own: dict[str, set[str]] = {}
        for venue in self.event.venues:
            names = set(tokens(f"{venue.key} {venue.name} {venue.address}"))
            stations = {t for t in tokens(venue.directions) if len(t) >= 6 and not index.knows(t)}
            own[venue.key] = names | stations
        counts: dict[str, int] = {}
        for terms in own.values():
            for t in terms:
                counts[t] = counts.get(t, 0) + 1
        best, best_hits = None, 0
        for venue in self.event.venues:
            distinctive = {t for t in own[venue.key] if counts[t] == 1 and not t.isdigit() or t == venue.key}
            hits = sum(any(w == t or (len(w) >= 5 and fuzz.ratio(w, t) >= 85) for t in distinctive) for w in words)
            generic = sum(any(w == t for t in own[venue.key]) for w in words)
            if hits and hits + generic >= len(words) / 2 and hits > best_hits:
                best, best_hits = venue, hits
        return best

    def room_named(self, words: list[str]) -> tuple[VenueView, str] | None:
        """A room every word of whose name the question has ("partnering lounge"); the day's venue on a tie."""
        found = []
        for venue in self.event.venues:
            for room in venue.rooms:
                parts = tokens(room)
                if parts and all(any(w == p or (len(p) >= 5 and fuzz.ratio(w, p) >= 85) for w in words) for p in parts):
                    found.append((len(parts), venue, room))
        if not found:
            return None
        top = max(n for n, _, _ in found)
        best = [(v, r) for n, v, r in found if n == top]
        if len(best) > 1:
            on_day = {v.key for v in self.event.venues_on(self.target_day())}
            best = [b for b in best if b[0].key in on_day] or best
        return best[0]

    def how_long(self) -> Reply:
        q = self.q
        if "partnering" in q.kinds or q.has("meeting") or "meeting" in q.words:
            return self.reply(self.say("meeting_length", minutes=self.event.slot_minutes))
        sessions = self.matches(q.words, day=q.day, kinds=q.kinds)
        if not sessions:
            return self.dont_know(intro=self.say("not_found"), lead_only=True)
        s = self.pick(sessions)
        minutes = int((s.ends_at - s.starts_at).total_seconds() // 60)
        zone = self.event.timezone
        lead = self.say("lasts", what=s.title, minutes=minutes, start=clock(s.starts_at, zone), end=clock(s.ends_at, zone))
        return self.reply(lead, *self.cards([s]))

    # when, who, is there
    def when(self) -> Reply:
        q = self.q
        sessions = self.matches(q.words, day=q.day, kinds=q.kinds)
        if not sessions:
            speaker = self.named_speaker(q.names)
            if speaker is not None:
                sessions = self.sessions_of(speaker)
        if not sessions:
            return self.dont_know(intro=self.say("not_found"), lead_only=True) if q.has("when") else self.dont_know()
        first = self.pick(sessions)
        speaker = self.named_speaker(q.names)
        if speaker is not None and not any(p.name == speaker.name for p in first.speakers):
            speaker = None
        if speaker is not None:
            key = "presents" if first.kind == "pitch" else "speaks"
            lead = self.say(key, name=speaker.name, **self.moment(first))
        else:
            lead = self.say("is_on", what=self.kind_title(first), **self.moment(first))
        where = self.place(first)
        lead += f" ({where})." if where else "."
        return self.reply(lead, *self.cards([first]))

    def who(self) -> Reply:
        q = self.q
        speaker = self.named_speaker(q.names) if not q.kinds else None
        if speaker is not None and not q.has("moderator"):
            job = ", ".join(p for p in (speaker.title, speaker.organisation) if p)
            lead = self.say("who_person", name=speaker.name, job=job or "?")
            return self.reply(lead, *self.cards(self.sessions_of(speaker)[:2]))
        sessions = self.matches(q.words, day=q.day, kinds=q.kinds) if (q.words or q.kinds) else []
        if not sessions:
            return self.dont_know(intro=self.say("not_found"), lead_only=True)
        first = self.pick(sessions)
        if q.has("moderator"):
            lead_people = [p for p in first.speakers if "moderat" in fold(p.title)]
            if lead_people:
                lead = self.say("moderator", name=lead_people[0].name, what=self.kind_title(first))
                return self.reply(lead, *self.cards([first]))
        if not first.speakers:
            lead = self.say("no_speakers", what=first.title)
        else:
            people = "; ".join(f"{s.name} ({s.organisation})" if s.organisation else s.name for s in first.speakers)
            lead = self.say("who_session", what=first.title, people=people)
        return self.reply(lead, *self.cards([first]))

    def is_there(self) -> Reply:
        q = self.q
        speaker = self.named_speaker(q.names)
        if speaker is not None:
            theirs = self.sessions_of(speaker)
            if q.kinds:
                theirs = [s for s in theirs if s.kind in q.kinds]
            if q.day:
                theirs = [s for s in theirs if self.event.local_date(s.starts_at) == q.day]
            if theirs:
                first = self.pick(theirs)
                lead = self.say("yes_person", name=speaker.name, what=self.kind_title(first), **self.moment(first))
                return self.reply(lead, *self.cards([first]))
            kind = lang.table(self.code)["say"]["kind"].get(next(iter(q.kinds), ""), "") or "?"
            return self.reply(self.say("no_person", name=speaker.name, kind=kind))
        if not q.words and not q.kinds:
            return self.dont_know()
        sessions = self.matches(q.words, day=q.day, kinds=q.kinds)
        if not sessions:
            what = " ".join(q.names)[:80] or "?"
            return self.reply(self.say("no_kind", what=what))
        first = self.pick(sessions)
        lead = self.say("yes", what=first.title, **self.moment(first))
        return self.reply(lead, *self.cards([first]))

    # around a moment
    def at_moment(self) -> Reply:
        q = self.q
        day = self.target_day()
        moment = datetime.combine(day, q.at or time(12), tzinfo=self.event.zone)
        sessions = self.event.sessions_on(day)
        if q.words or q.kinds:
            narrowed = self.matches(q.words, day=day, kinds=q.kinds)
            sessions = narrowed or sessions
        running = [s for s in sessions if s.starts_at <= moment < s.ends_at]
        if not running:
            running = [s for s in sessions if moment <= s.starts_at < moment + timedelta(minutes=30)]
        head = {"day": self.day(day), "at": self.at(moment)}
        if not running:
            return self.reply(self.say("nothing_at", **head))
        return self._list(self.say("at_moment", **head), running, FEW, day)

    def on_now(self) -> Reply:
        current = [s for s in self.event.sessions if s.starts_at <= self.now < s.ends_at]
        if current:
            lead = self.say("on_now", titles=", ".join(s.title for s in current[:FEW]))
            return self._list(lead, current, 2, None, show_day=False)
        reply = self.coming_next()
        reply.text = self.say("nothing_now") + " " + reply.text
        reply.parts[0] = Paragraph(reply.text)
        return reply

    def coming_next(self) -> Reply:
        later = [s for s in self.event.sessions if s.starts_at > self.now]
        if not later:
            return self.reply(self.say("nothing_more"))
        first = later[0].starts_at
        same = [s for s in later if s.starts_at == first]
        lead = self.say(
            "next",
            at=f"{self.day(self.event.local_date(first))} {self.at(first)}",
            titles=", ".join(s.title for s in same[:FEW]),
        )
        return self._list(lead, same, 2, None)

    def period(self) -> Reply:
        q = self.q
        day = self.target_day()
        sessions = self.event.sessions_on(day)
        if q.part:
            start, end = PARTS_OF_DAY[q.part]
            sessions = [s for s in sessions if start <= s.starts_at.astimezone(self.event.zone).time() < end]
            part = lang.table(self.code)["say"]["parts"][q.part]
            if not sessions:
                return self.reply(self.say("nothing_part", part=part, day=self.day(day)))
            return self._list(self.say("part_of_day", part=part, day=self.day(day)), sessions, PERIOD, day, show_day=False)
        venues = ", ".join(v.name for v in self.event.venues_on(day)) or "?"
        lead = self.say("programme", n=self.event.day_number(day), day=self.day(day), venue=venues)
        return self._list(lead, sessions, PERIOD, day, show_day=False)

    def day_edge(self, *, start: bool) -> Reply:
        day = self.target_day()
        sessions = self.event.sessions_on(day)
        if not sessions:
            return self.reply(self.say("no_venue", n=self.event.day_number(day)))
        n = self.event.day_number(day)
        if start:
            first = sessions[0]
            lead = self.say("starts_day", n=n, day=self.day(day), at=self.at(first.starts_at), title=first.title)
            return self.reply(lead, *self.cards([first], show_day=False))
        last = max(sessions, key=lambda s: s.ends_at)
        lead = self.say("ends_day", n=n, day=self.day(day), at=self.at(last.ends_at), title=last.title)
        return self.reply(lead, *self.cards([last], show_day=False))

    def relative(self, *, after: bool) -> Reply:
        q = self.q
        anchors = self.matches(q.anchor, kinds=None)
        if not anchors:
            return self.dont_know(intro=self.say("unknown_anchor"), lead_only=True)
        wanted = q.day or today_in_event(self.event, self.now)
        pick = next((s for s in anchors if self.event.local_date(s.starts_at) == wanted), None)
        if pick is None:
            pick = self.pick(anchors)
        day = self.event.local_date(pick.starts_at)
        others = [s for s in self.event.sessions_on(day) if s.key != pick.key]
        zone = self.event.timezone
        if after:
            chosen = [s for s in others if s.starts_at >= pick.ends_at]
            if not chosen:
                return self.reply(self.say("nothing_after", title=pick.title, day=self.day(day)))
            lead = self.say("after", title=pick.title, day=self.day(day), time=clock(pick.ends_at, zone))
            return self._list(lead, chosen, FEW, day, show_day=False)
        chosen = [s for s in others if s.ends_at <= pick.starts_at]
        if not chosen:
            return self.reply(self.say("nothing_before", title=pick.title, day=self.day(day)))
        lead = self.say("before", title=pick.title, day=self.day(day), time=clock(pick.starts_at, zone))
        return self._list(lead, chosen[-FEW:], FEW, day, show_day=False, total=len(chosen))

    def pitching(self) -> Reply:
        q = self.q
        pitches = [s for s in self.event.sessions if s.kind == "pitch"]
        if q.day:
            pitches = [s for s in pitches if self.event.local_date(s.starts_at) == q.day]
        if not pitches:
            return self.reply(self.say("no_pitching", day=self.day(self.target_day())))
        lines = []
        for s in pitches:
            names = ", ".join(dict.fromkeys(p.organisation or p.name for p in s.speakers)) or s.title
            lines.append(self.say("pitching", place=self.place(s) or "?", names=names, **self.moment(s)))
        lead = " ".join(line if line.endswith(".") else line + "." for line in lines)
        reply = Reply(text=lead, lang=self.code).add(*(Paragraph(line) for line in lines))
        return reply.add(*self.cards(pitches[:1]))

    def _list(
        self,
        lead: str,
        sessions: list[SessionView],
        limit: int,
        day: date | None,
        *,
        show_day: bool = True,
        total: int | None = None,
    ) -> Reply:
        reply = self.reply(lead, *self.cards(sessions[:limit], show_day=show_day))
        extra = (total if total is not None else len(sessions)) - min(limit, len(sessions))
        if extra > 0:
            n = self.event.day_number(day) if day else self.event.day_number(self.target_day())
            reply.add(Note(self.say("more", count=extra, n=n or 1)))
        return reply
