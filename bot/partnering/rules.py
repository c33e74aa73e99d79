"""The organisers' hard rules for placing meetings, in one place for instant placement and the optimiser.

Beyond "one meeting per person and per table per slot" and availability (both also guarded by the database),
the event file's ``partnering:`` section may set, per person:

- ``max_per_day``: at most this many meetings on one day of the event;
- ``max_in_a_row``: at most this many meetings back to back, then at least one free slot;
- ``venue_change_slots``: this many free slots between meetings at two different venues;
- ``availability``: ``hard`` (default) keeps everyone out of the blocks they marked unavailable; ``soft`` lets a
  scheduling run use such a block only where the count or fairness needs it (the preferences penalise it), and
  instant placement tries the available slots first.

Meetings are compared by their times, not by slot IDs, so a meeting in a retired slot still counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Rules:
    """The per-person limits of one event (None: no limit)."""

    max_per_day: int | None = None
    max_in_a_row: int | None = None
    venue_change_slots: int = 0
    slot_minutes: int = 30
    timezone: str = "UTC"
    placement: str = "instant"
    schedule_at: tuple[str, ...] = ()
    availability: str = "hard"  # "soft": unavailable blocks are a last resort, not a rule

    @classmethod
    def of(cls, event) -> Rules:
        """The rules stored on an :class:`storage.models.Event` by the event loader."""
        stored = event.partnering_rules or {}
        return cls(
            max_per_day=stored.get("max_per_day"),
            max_in_a_row=stored.get("max_in_a_row"),
            venue_change_slots=stored.get("venue_change_slots") or 0,
            slot_minutes=event.slot_minutes or 30,
            timezone=event.timezone,
            placement=stored.get("placement") or "instant",
            schedule_at=tuple(stored.get("schedule_at") or ()),
            availability=stored.get("availability") or "hard",
        )

    @property
    def scheduled(self) -> bool:
        return self.placement == "scheduled"

    @property
    def soft_availability(self) -> bool:
        return self.availability == "soft"

    @property
    def any(self) -> bool:
        return bool(self.max_per_day or self.max_in_a_row or self.venue_change_slots)

    def day_of(self, instant: datetime) -> date:
        return instant.astimezone(ZoneInfo(self.timezone)).date()

    @property
    def venue_gap(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes * self.venue_change_slots)


@dataclass(frozen=True)
class Booking:
    """A meeting (or a candidate for one) as the rules see it: when and at which venue."""

    starts_at: datetime
    ends_at: datetime
    venue_id: int | None


def breaks_rule(rules: Rules, new: Booking, taken: list[Booking]) -> str | None:
    """Why one person may not also have ``new`` next to the meetings ``taken``, or None when they may."""
    if rules.max_per_day is not None:
        day = rules.day_of(new.starts_at)
        if sum(1 for b in taken if rules.day_of(b.starts_at) == day) >= rules.max_per_day:
            return f"at most {rules.max_per_day} meeting(s) a day"
    if rules.max_in_a_row is not None:
        starts = {b.starts_at: b for b in taken}
        ends = {b.ends_at: b for b in taken}
        run, cursor = 1, new
        while cursor.starts_at in ends:  # meetings ending as this one starts, back to back
            cursor = ends[cursor.starts_at]
            run += 1
        cursor = new
        while cursor.ends_at in starts:
            cursor = starts[cursor.ends_at]
            run += 1
        if run > rules.max_in_a_row:
            return f"at most {rules.max_in_a_row} meeting(s) in a row, then a break"
    if rules.venue_change_slots:
        gap = rules.venue_gap
        for b in taken:
            if b.venue_id == new.venue_id:
                continue
            if new.starts_at < b.ends_at + gap and b.starts_at < new.ends_at + gap:
                return f"{rules.venue_change_slots} free slot(s) to change venue"
    return None


def max_meetings(rules: Rules, runs: list[int], days: list[int]) -> int:
    """The most meetings one person can have in free runs of ``runs`` back-to-back slots (``days``: the run's day
    index), under the per-day and in-a-row limits: an upper bound used by the optimiser's first stage."""
    per_day: dict[int, int] = {}
    for length, day in zip(runs, days, strict=True):
        most = length
        if rules.max_in_a_row is not None:
            most = length - length // (rules.max_in_a_row + 1)
        per_day[day] = per_day.get(day, 0) + most
    if rules.max_per_day is not None:
        return sum(min(n, rules.max_per_day) for n in per_day.values())
    return sum(per_day.values())


def permitted(session, *, event, people: list[int], candidates: list) -> list:
    """The candidate slots (``placement.Candidate``) where a new meeting of ``people`` keeps every rule:
    instant placement's hook, one query for both people's booked meetings."""
    rules = Rules.of(event)
    if not rules.any or not candidates:
        return candidates
    from sqlalchemy import select

    from storage.models import MeetingBlock, MeetingSeat, MeetingSlot

    taken: dict[int, list[Booking]] = {person: [] for person in people}
    for person, start, end, venue in session.execute(
        select(MeetingSeat.participant_id, MeetingSlot.starts_at, MeetingSlot.ends_at, MeetingBlock.venue_id)
        .join(MeetingSlot, MeetingSlot.id == MeetingSeat.slot_id)
        .join(MeetingBlock, MeetingBlock.id == MeetingSlot.block_id)
        .where(MeetingSeat.participant_id.in_(people), MeetingSeat.active.is_(True))
    ):
        taken[person].append(Booking(start, end, venue))
    return [
        c for c in candidates
        if all(breaks_rule(rules, Booking(c.starts_at, c.ends_at, c.venue_id), taken[p]) is None for p in people)
    ]  # fmt: skip
