"""Scheduling runs with the optimiser, on small events whose best schedule is known by hand: a late requester
gets a meeting, the organisers' limits hold (instant placement too), confirmed meetings stay unless
reoptimised, a failing solver falls back to greedy, and the event file refuses impossible limits."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.__main__ import main
from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.dashboard.views import Dashboard
from bot.event_setup import load_event_file
from bot.partnering import optimiser, relaxations, replies, scheduling
from bot.partnering.augmenting import augment
from bot.partnering.floor import FloorPlan
from bot.partnering.participants import PersonInfo
from bot.replies import RequestCard
from handlers.console.render import render
from storage.db import Database
from storage.event_file import EventFileError, parse_event_text
from storage.models import Event, Meeting, MeetingSlot, MeetingTable, ScheduleRun, Venue
from tests.conftest import OSLO, oslo
from tests.partnering_helpers import RecordingNotifier, people

EVENT = """\
event:
  key: scheduling-test-2026
  name: Scheduling test
  timezone: Europe/Oslo
  dates: [2026-12-03, 2026-12-04]
venues:
  - key: hall
    name: Hall
  - key: annex
    name: Annex
partnering:
  slot_minutes: 30
{rules}  blocks:
{blocks}  tables:
    - venue: hall
      count: {hall}
    - venue: annex
      count: {annex}
"""


def event_file(tmp_path: Path, blocks: list[tuple[str, int, str, str, str]], *, hall: int = 1, annex: int = 1,
               rules: str = "") -> Path:  # fmt: skip
    """An event on 3-4 Dec 2026 with the given blocks (key, day, start, end, venue) and rule lines."""
    text = "".join(
        f'    - {{key: {key}, title: Partnering, day: {day}, start: "{start}", end: "{end}", venue: {venue}}}\n'
        for key, day, start, end, venue in blocks
    )
    path = tmp_path / "event.yml"
    lines = "".join(f"  {line}\n" for line in rules.splitlines() if line.strip())
    path.write_text(EVENT.format(rules=lines, blocks=text, hall=hall, annex=annex), encoding="utf-8")
    return path


def make_bot(db: Database, clock: FixedClock, notifier: RecordingNotifier) -> Assistant:
    bot = Assistant(db=db, clock=clock, send_now=True, organisers=frozenset({"organiser"}))
    bot.add_notifier("console", notifier)
    return bot


def ask(bot: Assistant, requester: int, invitee: int) -> int:
    reply = bot.request_meeting(actor=requester, invitee=invitee, topic="Licensing")
    [card] = [part for part in reply.parts if isinstance(part, RequestCard)]
    return card.request.id


def bookings(db: Database) -> dict[int, tuple[str, str, str]]:
    """Booked meetings: request id -> (local start "Thu 11:00", table, venue)."""
    with db.transaction() as session:
        rows = session.execute(
            select(Meeting.request_id, MeetingSlot.starts_at, MeetingTable.name, Venue.name)
            .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
            .join(MeetingTable, MeetingTable.id == Meeting.table_id)
            .join(Venue, Venue.id == MeetingTable.venue_id)
            .where(Meeting.status == "booked")
        ).all()
    return {rid: (f"{start.astimezone(OSLO):%a %H:%M}", table, venue) for rid, start, table, venue in rows}


def test_a_late_requester_the_greedy_rule_leaves_at_zero_gets_a_meeting(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    """1 table, 2 slots. Ann asks Bo and Dag early, Cai asks Bo late. Oldest-first gives Ann both slots and Cai
    nothing; the one schedule that serves everyone is Ann-Dag and Cai-Bo."""
    load_event_file(db, event_file(tmp_path, [("b1", 1, "11:00", "12:00", "hall")], rules="placement: scheduled"),
                    clock=clock)  # fmt: skip
    notifier = RecordingNotifier()
    bot = make_bot(db, clock, notifier)
    ann, bo, cai, dag = people(bot, "Ann", "Bo", "Cai", "Dag")
    r1, r2 = ask(bot, ann, bo), ask(bot, ann, dag)
    clock.advance(minutes=20)
    r3 = ask(bot, cai, bo)
    notifier.clear()
    first = bot.accept(actor=bo, request_id=r1)
    assert first.text == ("Accepted (Licensing). This event schedules meetings together: the time and table come when "
                          "the organisers run the schedule, and you'll get your whole schedule in one message.")  # fmt: skip
    bot.accept(actor=dag, request_id=r2)
    bot.accept(actor=bo, request_id=r3)
    assert bookings(db) == {}
    assert notifier.texts("Ann")[0].startswith("Bo accepted your request (Licensing). This event schedules meetings")
    with db.transaction() as session:  # what today's rule would have done
        event = session.scalars(select(Event)).one()
        floor = scheduling.read_floor(session, event=event, now=clock.now(), reoptimise=False)
    assert set(optimiser.greedy(floor.instance)) == {r1, r2}
    notifier.clear()

    reply = bot.schedule_all(external_id="organiser")

    assert reply.text == "Scheduled 2 meeting(s); 1 could not be placed."
    drawn = render(reply)[0]
    assert "Meetings booked: 2 of at most 2 (100%)" in drawn
    assert "Least-served person: 1 meeting(s); people with none: 0" in drawn
    assert bookings(db) == {r2: ("Thu 11:00", "Table 1", "Hall"), r3: ("Thu 11:30", "Table 1", "Hall")}
    for name, count in (("Ann", 1), ("Bo", 1), ("Cai", 1), ("Dag", 1)):
        [schedule] = notifier.to(name)
        assert schedule.reply.text == f"Your partnering schedule: {count} meeting(s)."
        assert [a.filename for a in schedule.attachments] == [f"meeting-{r2 if name in ('Ann', 'Dag') else r3}.ics"]
    summary = render(bot.organiser_summary(external_id="organiser"))[0]
    assert "Last scheduling run" in summary and "Meetings booked: 2 of at most 2" in summary
    board = Dashboard(db=db, clock=clock).numbers().schedule_run
    assert "Meetings booked: 2 of at most 2 (100%)" in board and "people with none: 0" in board


def _four_partners(bot: Assistant) -> tuple[int, list[int]]:
    ann, *others = people(bot, "Ann", "Bo", "Cai", "Dag", "Eli")
    return ann, [ask(bot, ann, other) for other in others]


def _accept_all(bot: Assistant, requests: list[int]) -> None:
    with bot.db.transaction(write=True) as session:  # accepted while the floor was closed: waiting for a run
        from storage.models import MeetingRequest

        for rid in requests:
            session.get(MeetingRequest, rid).status = "accepted"


def test_max_in_a_row_gives_a_break_after_the_run_in_runs_and_instantly(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    """4 slots, 2 tables, at most 2 in a row: Ann can have 3 of her 4 meetings (11:00, 11:30, break, 12:30)."""
    load_event_file(db, event_file(tmp_path, [("b1", 1, "11:00", "13:00", "hall")], hall=2, rules="max_in_a_row: 2"),
                    clock=clock)  # fmt: skip
    bot = make_bot(db, clock, RecordingNotifier())
    ann, requests = _four_partners(bot)
    _accept_all(bot, requests)
    report = bot.floor.schedule_all()
    assert report.placed == 3
    assert sorted(when for when, _, _ in bookings(db).values()) == ["Thu 11:00", "Thu 11:30", "Thu 12:30"]
    [(_, why)] = report.unplaced
    assert why == "the event's limits (meetings a day, in a row, venue changes) leave no slot"
    assert (report.run.bound, report.run.at_zero) == (3, 1)  # one of the four partners cannot meet Ann


def test_instant_placement_keeps_the_in_a_row_limit(db: Database, clock: FixedClock, tmp_path: Path) -> None:
    load_event_file(db, event_file(tmp_path, [("b1", 1, "11:00", "13:00", "hall")], hall=2, rules="max_in_a_row: 2"),
                    clock=clock)  # fmt: skip
    notifier = RecordingNotifier()
    bot = make_bot(db, clock, notifier)
    ann, (r1, r2, r3, r4) = _four_partners(bot)
    bo, cai, dag, eli = people(bot, "Bo", "Cai", "Dag", "Eli")
    for invitee, rid in zip((bo, cai, dag, eli), (r1, r2, r3, r4), strict=True):
        bot.accept(actor=invitee, request_id=rid)
    assert bookings(db) == {r1: ("Thu 11:00", "Table 1", "Hall"), r2: ("Thu 11:30", "Table 1", "Hall"),
                            r3: ("Thu 12:30", "Table 1", "Hall")}  # fmt: skip
    assert notifier.texts("Eli")[-1].startswith("Accepted, but there is no slot")


def test_max_per_day_spreads_meetings_over_the_days(db: Database, clock: FixedClock, tmp_path: Path) -> None:
    blocks = [("d1", 1, "11:00", "12:00", "hall"), ("d2", 2, "11:00", "12:00", "hall")]
    load_event_file(db, event_file(tmp_path, blocks, hall=2, rules="max_per_day: 1"), clock=clock)
    bot = make_bot(db, clock, RecordingNotifier())
    ann, requests = _four_partners(bot)
    _accept_all(bot, requests)
    report = bot.floor.schedule_all()
    assert report.placed == 2
    assert sorted(when[:3] for when, _, _ in bookings(db).values()) == ["Fri", "Thu"]


def test_venue_changes_get_free_slots_between(db: Database, clock: FixedClock, tmp_path: Path) -> None:
    """Hall 11:00-12:00, Annex 12:00-13:00, one table each. Without the rule Ann meets all 4; with one free slot
    to change venue, a meeting at 11:30 in the Hall and at 12:00 in the Annex cannot both be hers: 3."""
    blocks = [("hall-block", 1, "11:00", "12:00", "hall"), ("annex-block", 1, "12:00", "13:00", "annex")]
    load_event_file(db, event_file(tmp_path, blocks, rules="venue_change_slots: 1"), clock=clock)
    bot = make_bot(db, clock, RecordingNotifier())
    ann, requests = _four_partners(bot)
    _accept_all(bot, requests)
    report = bot.floor.schedule_all()
    assert report.placed == 3
    placed = sorted(bookings(db).values())
    times = {(when, venue) for when, _, venue in placed}
    assert not ({("Thu 11:30", "Hall"), ("Thu 12:00", "Annex")} <= times)


def test_confirmed_meetings_stay_unless_reoptimised_then_both_hear_once(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    """Two 1-slot blocks, one table. Ann-Bo took 11:00 at once; Cai (away 11:30) and Dag then find nothing.
    A run keeps Ann-Bo; a reoptimising run moves it to 11:30 so Cai-Dag can have 11:00."""
    blocks = [("early", 1, "11:00", "11:30", "hall"), ("late", 1, "11:30", "12:00", "hall")]
    load_event_file(db, event_file(tmp_path, blocks), clock=clock)
    notifier = RecordingNotifier()
    bot = make_bot(db, clock, notifier)
    ann, cai, dag = people(bot, "Ann", "Cai", "Dag")
    bo = norwegian(bot, "Bo")
    r1 = ask(bot, ann, bo)
    bot.accept(actor=bo, request_id=r1)
    late = next(b for b in bot.partnering.blocks() if b.key == "late")
    bot.set_unavailable(actor=cai, block_id=late.id, unavailable=True)
    r2 = ask(bot, cai, dag)
    assert bot.accept(actor=dag, request_id=r2).text.startswith("Accepted, but there is no slot")
    notifier.clear()

    assert bot.schedule_all(external_id="organiser").text == "Scheduled 0 meeting(s); 1 could not be placed."
    assert bookings(db) == {r1: ("Thu 11:00", "Table 1", "Hall")}
    assert notifier.sent == []

    reply = bot.schedule_all(external_id="organiser", reoptimise=True)
    assert reply.text == "Scheduled 1 meeting(s); 0 could not be placed."
    assert "Changes: 1 new meeting(s), 1 moved; +1 booked since the last run (1 then)" in render(reply)[0]
    assert bookings(db) == {r2: ("Thu 11:00", "Table 1", "Hall"), r1: ("Thu 11:30", "Table 1", "Hall")}
    assert sorted(m.name for m in notifier.sent) == ["Ann", "Bo", "Cai", "Dag"]
    [moved] = notifier.texts("Ann")
    assert moved == ("Your meeting with Bo moved to Thu 3 Dec 11:30–12:00 CET at Table 1, Hall: the organisers "
                     "rescheduled to fit in more meetings.")  # fmt: skip
    assert notifier.texts("Cai")[0].startswith("Meeting booked with Dag")
    [flyttet] = notifier.to("Bo")
    assert flyttet.reply.text == ("Møtet ditt med Ann er flyttet til tor. 3. des. 11:30–12:00 CET ved Table 1, Hall: "
                                  "arrangørene har satt opp timeplanen på nytt for å få plass til flere møter.")  # fmt: skip
    assert "Kalenderfilen er vedlagt" in render(flyttet.reply)[0] and flyttet.attachments[0].filename.endswith(".ics")
    with db.transaction() as session:
        sequences = sorted(session.scalars(select(Meeting.sequence).where(Meeting.request_id == r1)))
    assert sequences == [0, 1]


def test_a_reoptimising_run_on_a_scheduled_event_marks_the_moved_meeting_in_the_schedule(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    """As above, on a scheduled event: Ann and Bo get their whole schedule again, saying which meeting moved."""
    blocks = [("early", 1, "11:00", "11:30", "hall"), ("late", 1, "11:30", "12:00", "hall")]
    load_event_file(db, event_file(tmp_path, blocks, rules="placement: scheduled"), clock=clock)
    notifier = RecordingNotifier()
    bot = make_bot(db, clock, notifier)
    ann, cai, dag = people(bot, "Ann", "Cai", "Dag")
    bo = norwegian(bot, "Bo")
    r1 = ask(bot, ann, bo)
    bot.accept(actor=bo, request_id=r1)
    bot.schedule_all(external_id="organiser")
    late = next(b for b in bot.partnering.blocks() if b.key == "late")
    bot.set_unavailable(actor=cai, block_id=late.id, unavailable=True)
    r2 = ask(bot, cai, dag)
    bot.accept(actor=dag, request_id=r2)
    assert bookings(db) == {r1: ("Thu 11:00", "Table 1", "Hall")}
    notifier.clear()

    bot.schedule_all(external_id="organiser", reoptimise=True)
    assert bookings(db) == {r2: ("Thu 11:00", "Table 1", "Hall"), r1: ("Thu 11:30", "Table 1", "Hall")}
    [schedule] = notifier.to("Ann")
    drawn = render(schedule.reply)[0]
    assert "1 of them moved: the organisers rescheduled to fit in more meetings." in drawn
    assert "11:30–12:00 CET  with Bo" in drawn and "(Moved)" in drawn
    assert "1 av dem er flyttet" in render(notifier.to("Bo")[0].reply)[0] and "(Flyttet)" in render(
        notifier.to("Bo")[0].reply)[0]  # fmt: skip
    [cai_schedule] = notifier.to("Cai")
    assert "moved" not in render(cai_schedule.reply)[0].casefold()


def norwegian(bot: Assistant, name: str, external_id: str | None = None) -> int:
    """A participant whose platform speaks Norwegian bokmål (Slack's and Teams' locale "nb-NO")."""
    return bot.identify(platform="console", external_id=external_id or name.casefold(),
                        lookup=lambda: PersonInfo(display_name=name, locale="nb-NO"))  # fmt: skip


def test_scheduled_placement_speaks_norwegian_to_norwegians_and_english_to_the_rest(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    """Ann and the organiser use Norwegian, Bo English: each hears the hold, the schedule and the run in their own."""
    rules = 'placement: scheduled\nschedule_at: ["2026-12-03 10:45"]'
    load_event_file(db, event_file(tmp_path, [("b1", 1, "11:00", "12:00", "hall")], rules=rules), clock=clock)
    notifier = RecordingNotifier()
    bot = make_bot(db, clock, notifier)
    ann, organiser = norwegian(bot, "Ann"), norwegian(bot, "Org", "organiser")
    [bo] = people(bot, "Bo")
    rid = ask(bot, ann, bo)
    assert bot.accept(actor=bo, request_id=rid).text == (
        "Accepted (Licensing). This event schedules meetings together: the time and table come at the scheduling run "
        "on Thu 3 Dec at 10:45, and you'll get your whole schedule in one message."
    )
    assert notifier.texts("Ann")[-1] == (
        "Bo har takket ja til forespørselen din (Licensing). Dette arrangementet setter opp møtene samlet: tid og bord "
        "får du ved timeplanleggingen tor. 3. des. kl. 10:45, og du får hele timeplanen din i én melding."
    )
    notifier.clear()

    done = render(bot.schedule_all(external_id="organiser", actor=organiser))[0]
    assert done.startswith("SETT OPP ALLE MØTER\nSatte opp 1 møte(r); 0 fikk ikke plass.\nMøter booket: 1 av høyst 1")
    assert "Endringer: 1 nye møte(r), 0 flyttet" in done
    [timeplan] = notifier.to("Ann")
    drawn = render(timeplan.reply)[0]
    assert drawn.startswith("DIN PARTNERINGTIMEPLAN\nDin partneringtimeplan: 1 møte(r).")
    assert "  🤝 tor. 3. des. 11:00–11:30 CET  med Bo\n      ved Table 1, Hall\n      Tema: Licensing" in drawn
    [schedule] = notifier.to("Bo")
    assert render(schedule.reply)[0].startswith("YOUR PARTNERING SCHEDULE\nYour partnering schedule: 1 meeting(s).")
    assert "  🤝 Thu 3 Dec 11:00–11:30 CET  with Ann\n      at Table 1, Hall\n      Topic: Licensing" in render(
        schedule.reply)[0]  # fmt: skip

    summary = render(bot.organiser_summary(external_id="organiser", actor=organiser))[0]
    assert "Siste timeplanlegging\nMøter booket: 1 av høyst 1 (100%)" in summary
    assert "Last scheduling run\nMeetings booked: 1 of at most 1 (100%)" in render(
        bot.organiser_summary(external_id="organiser"))[0]  # fmt: skip


def test_a_run_says_why_in_norwegian_and_reads_runs_stored_before_it_could() -> None:
    """Every reason a run stores (in English) has Norwegian words; a run stored with only its English "changes"
    still shows them."""
    for why in (scheduling.NO_SLOT, scheduling.NO_TABLE, scheduling.PARTNERS_BUSY, scheduling.LIMITS):
        assert replies.reason(why, "en") == why
        assert replies.reason(why, "nb") not in (why, "")
    old = ScheduleRun(placed=1_200, bound=1_300, method="optimal",
                      detail={"waiting": 2, "least": 0, "at_zero": 1_001, "zero_reasons": {scheduling.NO_TABLE: 1_001},
                              "changes": "2 new meeting(s), 0 moved"})  # fmt: skip
    assert replies.run_summary(old, code="nb").splitlines() == [
        "Møter booket: 1\u00a0200 av høyst 1\u00a0300 (92%) (optimal, 0 s)",
        "Den med færrest møter: 0 møte(r); personer uten møter: 1\u00a0001",
        "  1\u00a0001 uten møter fordi: alle bord er opptatt når begge er ledige",
        "Endringer: 2 new meeting(s), 0 moved",
    ]
    assert "Meetings booked: 1,200 of at most 1,300 (92%)" in replies.run_summary(old)


def test_a_failing_solver_falls_back_to_greedy_with_a_warning(
    db: Database, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    load_event_file(db, event_file(tmp_path, [("b1", 1, "11:00", "12:00", "hall")]), clock=clock)
    bot = make_bot(db, clock, RecordingNotifier())
    ann, requests = _four_partners(bot)
    _accept_all(bot, requests)

    def crash(*_args, **_kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(optimiser, "_solve_full", crash)
    with caplog.at_level(logging.WARNING, logger="bot.partnering.optimiser"):
        report = bot.floor.schedule_all()
    assert "the schedule optimiser failed (out of memory); using the greedy schedule instead" in caplog.text
    assert report.placed == 2 and report.run.method.startswith("greedy (solver failed")
    assert sorted(bookings(db)) == requests[:2]


def test_a_run_that_fails_while_booking_leaves_nothing_half_placed(
    db: Database, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_event_file(db, event_file(tmp_path, [("b1", 1, "11:00", "12:00", "hall")]), clock=clock)
    bot = make_bot(db, clock, RecordingNotifier())
    _, requests = _four_partners(bot)
    _accept_all(bot, requests)

    def broken(*_args, **_kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(scheduling, "_tell", broken)
    with pytest.raises(RuntimeError):
        bot.floor.schedule_all()
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Meeting)) == 0
        assert session.scalar(select(func.count()).select_from(ScheduleRun)) == 0


def test_schedule_at_runs_once_from_the_worker(db: Database, clock: FixedClock, tmp_path: Path) -> None:
    rules = 'placement: scheduled\nschedule_at: ["2026-12-03 10:45"]'
    load_event_file(db, event_file(tmp_path, [("b1", 1, "11:00", "12:00", "hall")], rules=rules), clock=clock)
    notifier = RecordingNotifier()
    bot = make_bot(db, clock, notifier)
    ann, bo = people(bot, "Ann", "Bo")
    rid = ask(bot, ann, bo)
    reply = bot.accept(actor=bo, request_id=rid)
    assert "the time and table come at the scheduling run on Thu 3 Dec at 10:45" in reply.text
    floor = FloorPlan(db=db, clock=clock)
    assert floor.run_due_schedules() == 0
    clock.set(oslo(3, 10, 45))
    assert floor.run_due_schedules() == 1
    assert floor.run_due_schedules() == 0
    assert bookings(db) == {rid: ("Thu 11:00", "Table 1", "Hall")}


def test_python_m_bot_schedule_runs_the_optimiser(
    db: Database, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    load_event_file(db, event_file(tmp_path, [("b1", 1, "11:00", "12:00", "hall")]), clock=clock)
    bot = make_bot(db, clock, RecordingNotifier())
    _, requests = _four_partners(bot)
    _accept_all(bot, requests)
    monkeypatch.setenv("DATABASE_URL", db.url)
    import bot.__main__ as entry

    monkeypatch.setattr(entry, "SystemClock", lambda: clock)
    assert main(["schedule", "--time-limit", "0"]) == 2
    assert main(["schedule", "--time-limit", "5"]) == 0
    out = capsys.readouterr()
    assert "Scheduled 2 meeting(s); 2 could not be placed." in out.out
    assert "--time-limit must be a positive number of seconds" in out.err


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("max_in_a_row: 0", "partnering.max_in_a_row: must be at least 1 (0 would allow no meeting at all)"),
        ("max_per_day: -2", "partnering.max_per_day: must be at least 1 (-2 would allow no meeting at all)"),
        ("venue_change_slots: 99", "partnering.venue_change_slots: must be a number of free slots from 0 to 20"),
        ('schedule_at: ["2026-12-02 18:00"]', "partnering: schedule_at needs `placement: scheduled`"),
        ("placement: scheduled\nschedule_at: [tomorrow]", "partnering.schedule_at: 'tomorrow' is not a local date"),
        ("placement: later", "partnering.placement: Input should be 'instant' or 'scheduled'"),
        ("availability: maybe", "partnering.availability: Input should be 'hard' or 'soft'"),
    ],
)
def test_impossible_rules_are_refused_when_the_file_loads_naming_the_field(tmp_path: Path, rules: str, message: str) -> None:
    text = event_file(tmp_path, [("b1", 1, "11:00", "12:00", "hall")], rules=rules).read_text(encoding="utf-8")
    with pytest.raises(EventFileError) as error:
        parse_event_text(text)
    assert message in str(error.value)


def test_the_rules_reach_the_database(db: Database, clock: FixedClock, tmp_path: Path) -> None:
    path = event_file(tmp_path, [("b1", 1, "11:00", "12:00", "hall")], rules="max_per_day: 4\nmax_in_a_row: 3")
    load_event_file(db, path, clock=clock)
    with db.transaction() as session:
        event = session.scalars(select(Event)).one()
        assert event.partnering_rules == {"placement": "instant", "schedule_at": [], "max_per_day": 4,
                                          "max_in_a_row": 3, "venue_change_slots": 0,
                                          "availability": "hard"}  # fmt: skip


def test_the_decomposed_model_for_large_events_finds_the_same_fair_schedule(
    db: Database, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The late-requester instance again, forced through stage A (which requests), B (their slots) and the fill."""
    load_event_file(db, event_file(tmp_path, [("b1", 1, "11:00", "12:00", "hall")]), clock=clock)
    bot = make_bot(db, clock, RecordingNotifier())
    ann, bo, cai, dag = people(bot, "Ann", "Bo", "Cai", "Dag")
    r1, r2 = ask(bot, ann, bo), ask(bot, ann, dag)
    clock.advance(minutes=20)
    r3 = ask(bot, cai, bo)
    _accept_all(bot, [r1, r2, r3])
    monkeypatch.setattr(optimiser, "FULL_MODEL_LIMIT", 0)
    report = bot.floor.schedule_all(time_limit=10)
    assert sorted(bookings(db)) == [r2, r3]
    assert (report.run.bound, report.run.least, report.run.at_zero) == (2, 1, 0)


def test_repair_moves_a_meeting_that_blocks_the_only_slot_of_another() -> None:
    """Ann-Bo sits in slot 0 though it could be in slot 1; Ann-Cai can only meet in slot 0: move, then place."""
    slots = [optimiser.Slot(index=i, id=i + 1, day=0, venue_id=1, starts_min=30 * i, ends_min=30 * i + 30, capacity=2)
             for i in range(2)]  # fmt: skip
    slots[0].after = 1
    ann_bo = optimiser.Request(id=1, a=1, b=2, allowed=[0, 1])
    ann_cai = optimiser.Request(id=2, a=1, b=3, allowed=[0], rank=1)
    instance = optimiser.Instance(slots=slots, requests=[ann_bo, ann_cai])
    assert optimiser.repair(instance, {1: 0}, [ann_cai], deadline=float("inf")) == {1: 1, 2: 0}


def _two_blocks(db: Database, clock: FixedClock, tmp_path: Path, rules: str) -> tuple[Assistant, int, int]:
    """One table; a one-slot block at 11:00 and another at 14:00 on Thursday."""
    blocks = [("am", 1, "11:00", "11:30", "hall"), ("pm", 1, "14:00", "14:30", "hall")]
    load_event_file(db, event_file(tmp_path, blocks, rules=rules), clock=clock)
    bot = make_bot(db, clock, RecordingNotifier())
    morning, afternoon = bot.partnering.blocks()[:2]
    return bot, morning.id, afternoon.id


@pytest.mark.parametrize(
    ("availability", "expected"),
    [("hard", {"r1": "Thu 11:00"}), ("soft", {"r1": "Thu 11:00", "r2": "Thu 14:00"})],
)
def test_soft_availability_uses_an_unavailable_block_only_when_the_count_needs_it(
    db: Database, clock: FixedClock, tmp_path: Path, availability: str, expected: dict[str, str]
) -> None:
    """Bo and Dag are away in the afternoon. Hard: only one of Ann-Bo and Cai-Dag meets (both need 11:00).
    Soft: both meet, the older request at 11:00 and Cai-Dag in Dag's unavailable afternoon."""
    bot, _, afternoon = _two_blocks(db, clock, tmp_path, f"availability: {availability}\nplacement: scheduled")
    ann, bo, cai, dag = people(bot, "Ann", "Bo", "Cai", "Dag")
    for person in (bo, dag):
        bot.set_unavailable(actor=person, block_id=afternoon, unavailable=True)
    r1, r2 = ask(bot, ann, bo), ask(bot, cai, dag)
    _accept_all(bot, [r1, r2])
    report = bot.floor.schedule_all()
    names = {r1: "r1", r2: "r2"}
    assert {names[rid]: when for rid, (when, _, _) in bookings(db).items()} == expected
    assert report.placed == len(expected)


def test_soft_availability_prefers_the_blocks_both_are_available_in(db: Database, clock: FixedClock, tmp_path: Path) -> None:
    """Bo is away in the morning: the run books Ann-Bo in the afternoon although 11:00 is earlier and free."""
    bot, morning, _ = _two_blocks(db, clock, tmp_path, "availability: soft\nplacement: scheduled")
    ann, bo = people(bot, "Ann", "Bo")
    bot.set_unavailable(actor=bo, block_id=morning, unavailable=True)
    r1 = ask(bot, ann, bo)
    _accept_all(bot, [r1])
    bot.floor.schedule_all()
    assert bookings(db) == {r1: ("Thu 14:00", "Table 1", "Hall")}


@pytest.mark.parametrize("availability", ["hard", "soft"])
def test_instant_placement_with_soft_availability_falls_back_to_an_unavailable_block(
    db: Database, clock: FixedClock, tmp_path: Path, availability: str
) -> None:
    """Bo is away in the morning. Ann-Bo goes to 14:00 either way; then Cai-Bo finds 14:00 taken: soft books it
    at 11:00 in Bo's unavailable morning, hard books nothing."""
    bot, morning, _ = _two_blocks(db, clock, tmp_path, f"availability: {availability}")
    ann, bo, cai = people(bot, "Ann", "Bo", "Cai")
    marked = bot.set_unavailable(actor=bo, block_id=morning, unavailable=True).text
    assert marked.endswith("no meetings will be placed there." if availability == "hard"
                           else "meetings go there only when no other time fits.")  # fmt: skip
    r1, r2 = ask(bot, ann, bo), ask(bot, cai, bo)
    bot.accept(actor=bo, request_id=r1)
    assert bookings(db) == {r1: ("Thu 14:00", "Table 1", "Hall")}
    reply = bot.accept(actor=bo, request_id=r2)
    if availability == "soft":
        assert bookings(db)[r2] == ("Thu 11:00", "Table 1", "Hall")
        assert "Thu 3 Dec 11:00" in reply.text
    else:
        assert r2 not in bookings(db)
        assert reply.text.startswith("Accepted, but there is no slot")


def test_an_alternating_path_swap_places_a_request_no_single_move_can() -> None:
    """Ann-Bo may only meet in slot 0 (Ann is at 1 with Eve, who has no other slot); Bo is at 0 with Cai, and Cai
    at 1 with Dee. Moving Cai-Bo alone to 1 clashes with Cai-Dee; swapping 0 and 1 along Bo-Cai-Dee frees Bo."""
    slots = [optimiser.Slot(index=i, id=i + 1, day=0, venue_id=1, starts_min=30 * i, ends_min=30 * i + 30, capacity=5)
             for i in range(2)]  # fmt: skip
    ann, bo, cai, dee, eve = 1, 2, 3, 4, 5
    ann_bo = optimiser.Request(id=1, a=ann, b=bo, allowed=[0, 1])
    ann_eve = optimiser.Request(id=2, a=ann, b=eve, allowed=[1])
    cai_bo = optimiser.Request(id=3, a=cai, b=bo, allowed=[0, 1])
    cai_dee = optimiser.Request(id=4, a=cai, b=dee, allowed=[0, 1])
    instance = optimiser.Instance(slots=slots, requests=[ann_bo, ann_eve, cai_bo, cai_dee])
    before = {2: 1, 3: 0, 4: 1}
    assert optimiser.repair(instance, before, [ann_bo], deadline=float("inf")) == before
    assert augment(instance, before, [ann_bo], deadline=float("inf")) == {1: 0, 2: 1, 3: 1, 4: 0}


def test_the_slot_class_bound_counts_tables_per_class_and_the_flow_serves_everyone() -> None:
    """Slot 0 has one table and two requests that can only meet there: the simple bound says 3, the LP over slot
    classes 2 (the truth). With one table-slot per person pair, the flow picks Ann-Dag and Cai-Bo, not Ann-Bo."""
    slots = [optimiser.Slot(index=0, id=1, day=0, venue_id=1, starts_min=0, ends_min=30, capacity=1),
             optimiser.Slot(index=1, id=2, day=0, venue_id=1, starts_min=60, ends_min=90, capacity=5)]  # fmt: skip
    requests = [optimiser.Request(id=1, a=1, b=2, allowed=[0]), optimiser.Request(id=2, a=3, b=4, allowed=[0]),
                optimiser.Request(id=3, a=5, b=6, allowed=[1])]  # fmt: skip
    instance = optimiser.Instance(slots=slots, requests=requests)
    assert (optimiser.simple_bound(instance), relaxations.class_bound(instance)) == (3, 2)
    slot = [optimiser.Slot(index=i, id=i + 1, day=0, venue_id=1, starts_min=30 * i, ends_min=30 * i + 30, capacity=1)
            for i in range(2)]  # fmt: skip
    ann, bo, cai, dag = 1, 2, 3, 4
    late = optimiser.Instance(slots=slot, requests=[
        optimiser.Request(id=1, a=ann, b=bo, allowed=[0, 1]), optimiser.Request(id=2, a=ann, b=dag, allowed=[0, 1], rank=1),
        optimiser.Request(id=3, a=cai, b=bo, allowed=[0, 1], rank=2)])  # fmt: skip
    assert relaxations.first_meetings(late) == ({2, 3}, 4)
