"""The partnering-schedule optimiser: which accepted requests meet in which slot, on OR-Tools CP-SAT.

It works on a plain in-memory :class:`Instance` (no database), so the scheduling run, the tests and
``bench/schedule.py`` share it. Objectives, lexicographic, each stage bounded by the one before:

1. place as many requests as possible;
2. then raise the least-served person's meeting count, and the number of people with at least one meeting;
3. then preferences: the request's preferred day, keeping confirmed meetings where they are (when they may
   move at all), earlier requests and earlier slots first.

Tables are not in the model: a slot's tables at its venue are interchangeable, so the model only counts
meetings per slot against the free tables, and :func:`assign_tables` hands out the tables afterwards.

Large events (more than ``FULL_MODEL_LIMIT`` request-slot pairs) are decomposed: stage A chooses *which*
requests to place (each person's count capped by the slots their availability and the rules leave them),
stage B places the chosen ones into slots, and a greedy pass fills what is left. Stage A is a relaxation,
so its bound is an upper bound for the whole problem too. A greedy schedule (today's rule: oldest request
first, earliest slot) is the hint for the solver, and the answer whenever the solver is missing or fails.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from bot.partnering.rules import Rules

log = logging.getLogger(__name__)

FULL_MODEL_LIMIT = 20_000  # request-slot pairs; above it the model is decomposed
STAGE_B_LIMIT = 120_000  # pairs of the chosen requests that stage B still improves with CP-SAT


@dataclass
class Slot:
    """One slot of the floor. ``index`` orders slots by time; ``after`` is the index of the slot that starts
    exactly when this one ends (back to back), or -1."""

    index: int
    id: int
    day: int
    venue_id: int | None
    starts_min: int  # minutes since the first slot started: the rules compare times
    ends_min: int
    capacity: int  # free tables at the slot's venue
    after: int = -1


@dataclass
class Request:
    id: int
    a: int
    b: int
    allowed: list[int]  # slot indexes both may meet in (open, available, not busy), earliest first
    preferred: frozenset[int] = frozenset()  # slot indexes on the preferred day; empty: no preference
    current: int | None = None  # slot index of its booked meeting, when it may be moved (--reoptimise)
    rank: int = 0  # 0 = oldest request
    # allowed slots in a block one of the two marked unavailable (``availability: soft``): a last resort
    discouraged: frozenset[int] = frozenset()

    def by_wish(self, indexes: list[int]) -> list[int]:
        """``indexes`` with the ones both are available in first (the order kept otherwise)."""
        if not self.discouraged:
            return indexes
        return [i for i in indexes if i not in self.discouraged] + [i for i in indexes if i in self.discouraged]


@dataclass
class Instance:
    slots: list[Slot]
    requests: list[Request]
    rules: Rules = field(default_factory=Rules)
    fixed: dict[int, list[int]] = field(default_factory=dict)  # person -> slot indexes of meetings that stay

    def people(self) -> set[int]:
        return {p for r in self.requests for p in (r.a, r.b)} | set(self.fixed)


@dataclass
class Solution:
    placed: dict[int, int]  # request id -> slot index
    bound: int  # no schedule places more of these requests
    method: str  # "optimal", "feasible", "greedy", "greedy (solver failed: ...)"
    seconds: float = 0.0
    stages: list[str] = field(default_factory=list)

    @property
    def gap(self) -> int:
        return max(0, self.bound - len(self.placed))


class Checker:
    """Each person's meetings in memory, and whether one more keeps every rule (slot-index arithmetic)."""

    def __init__(self, instance: Instance) -> None:
        self.slots = instance.slots
        self.rules = instance.rules
        self.before = {s.after: s.index for s in self.slots if s.after >= 0}
        self.taken: dict[int, set[int]] = defaultdict(set)
        self.load = [0] * len(self.slots)
        for person, indexes in instance.fixed.items():
            self.taken[person].update(indexes)
        self.gap = instance.rules.slot_minutes * instance.rules.venue_change_slots

    def allows(self, person: int, index: int) -> bool:
        mine = self.taken[person]
        if index in mine:
            return False
        rules, slot = self.rules, self.slots[index]
        if rules.max_per_day is not None and sum(1 for i in mine if self.slots[i].day == slot.day) >= rules.max_per_day:
            return False
        if rules.max_in_a_row is not None:
            run, cursor = 1, index
            while cursor in self.before and self.before[cursor] in mine:
                cursor = self.before[cursor]
                run += 1
            cursor = index
            while self.slots[cursor].after >= 0 and self.slots[cursor].after in mine:
                cursor = self.slots[cursor].after
                run += 1
            if run > rules.max_in_a_row:
                return False
        if self.gap:
            for i in mine:
                other = self.slots[i]
                if other.venue_id != slot.venue_id and conflict(slot, other, self.gap):
                    return False
        return True

    def fits(self, request: Request, index: int) -> bool:
        return (
            self.load[index] < self.slots[index].capacity and self.allows(request.a, index) and self.allows(request.b, index)
        )

    def add(self, request: Request, index: int) -> None:
        self.taken[request.a].add(index)
        self.taken[request.b].add(index)
        self.load[index] += 1

    def remove(self, request: Request, index: int) -> None:
        self.taken[request.a].discard(index)
        self.taken[request.b].discard(index)
        self.load[index] -= 1


def repair(instance: Instance, placed: dict[int, int], waiting: list[Request], deadline: float) -> dict[int, int]:
    """Place more of ``waiting`` by moving what blocks them: for a slot where a table is free but one of the two
    people is in another meeting, move that meeting to a slot that fits it (one step of an augmenting path)."""
    placed = dict(placed)
    checker = Checker(instance)
    by_id = {r.id: r for r in instance.requests}
    at: dict[tuple[int, int], int] = {}  # (person, slot) -> request id of their meeting there
    for rid, index in placed.items():
        r = by_id[rid]
        checker.add(r, index)
        at[r.a, index] = at[r.b, index] = rid
    for request in waiting:
        if request.id in placed or time.monotonic() > deadline:
            continue
        for index in request.by_wish(request.allowed):
            if checker.load[index] >= checker.slots[index].capacity:
                continue
            blockers = {at[p, index] for p in (request.a, request.b) if (p, index) in at}
            if not blockers:
                continue
            moves, ok = [], True
            for rid in blockers:
                blocker = by_id[rid]
                checker.remove(blocker, index)
                target = next((t for t in blocker.allowed if t != index and checker.fits(blocker, t)), None)
                if target is None:
                    checker.add(blocker, index)
                    ok = False
                    break
                checker.add(blocker, target)
                moves.append((blocker, target))
            if ok and checker.fits(request, index):
                for blocker, target in moves:
                    del at[blocker.a, index], at[blocker.b, index]
                    at[blocker.a, target] = at[blocker.b, target] = blocker.id
                    placed[blocker.id] = target
                checker.add(request, index)
                at[request.a, index] = at[request.b, index] = request.id
                placed[request.id] = index
                break
            for blocker, target in reversed(moves):  # undo
                checker.remove(blocker, target)
                checker.add(blocker, index)
    return placed


def conflict(one: Slot, other: Slot, gap: int) -> bool:
    """Two slots at different venues too close for the walk between them."""
    return one.starts_min < other.ends_min + gap and other.starts_min < one.ends_min + gap


def greedy(instance: Instance, order: list[Request] | None = None) -> dict[int, int]:
    """Today's rule: oldest request first, each at the earliest slot that fits (preferred day first)."""
    checker = Checker(instance)
    placed: dict[int, int] = _keep_current(instance, checker)
    for request in order if order is not None else sorted(instance.requests, key=lambda r: r.rank):
        if request.id in placed:
            continue
        choices = [i for i in request.allowed if i in request.preferred] if request.preferred else request.allowed
        for index in request.by_wish(choices):
            if checker.fits(request, index):
                checker.add(request, index)
                placed[request.id] = index
                break
    return placed


def _keep_current(instance: Instance, checker: Checker) -> dict[int, int]:
    """Movable confirmed meetings first, where they are (the hint keeps them unless moving helps)."""
    placed = {}
    for request in instance.requests:
        if request.current is not None and checker.fits(request, request.current):
            checker.add(request, request.current)
            placed[request.id] = request.current
    return placed


def fair_greedy(
    instance: Instance, requests: list[Request] | None = None, placed: dict[int, int] | None = None
) -> dict[int, int]:
    """Serve the least served first: always place next the request whose two people have the fewest meetings
    (the smaller count first, then the larger), so everyone gets a first meeting before anyone gets many where
    the floor allows. The solver's hint, and the fallback's second opinion."""
    checker = Checker(instance)
    if placed is None:
        placed = _keep_current(instance, checker)
    else:  # carry on from a partial schedule
        placed = dict(placed)
        by_id = {r.id: r for r in instance.requests}
        for rid, index in placed.items():
            checker.add(by_id[rid], index)
    count = meetings_per_person(instance, placed)

    def key(r: Request) -> tuple[int, int]:
        low, high = sorted((count[r.a], count[r.b]))
        return low, high

    pool = instance.requests if requests is None else requests
    heap = [(key(r), len(r.allowed), r.rank, r) for r in pool if r.allowed and r.id not in placed]
    heapq.heapify(heap)
    while heap:
        old, options, rank, request = heapq.heappop(heap)
        now = key(request)
        if now != old:  # one of the two got a meeting meanwhile: back in the queue at its new place
            heapq.heappush(heap, (now, options, rank, request))
            continue
        preferred = [i for i in request.allowed if i in request.preferred]
        for index in request.by_wish(preferred + [i for i in request.allowed if i not in request.preferred]):
            if checker.fits(request, index):
                checker.add(request, index)
                placed[request.id] = index
                count[request.a] += 1
                count[request.b] += 1
                break
        # a request that fits nowhere now never will (the floor only fills up): dropped
    return placed


def meetings_per_person(instance: Instance, placed: dict[int, int]) -> dict[int, int]:
    """Each person's meetings in a schedule, the fixed ones included."""
    count: dict[int, int] = defaultdict(int)
    for person, indexes in instance.fixed.items():
        count[person] = len(indexes)
    for r in instance.requests:
        if r.id in placed:
            count[r.a] += 1
            count[r.b] += 1
    return count


def _score(instance: Instance, placed: dict[int, int]) -> tuple[int, int, int]:
    """(placed, -people at zero, least-served) to compare two schedules lexicographically."""
    count: dict[int, int] = defaultdict(int)
    for r in instance.requests:
        if r.id in placed:
            count[r.a] += 1
            count[r.b] += 1
    for person, indexes in instance.fixed.items():
        count[person] += len(indexes)
    people = {p for r in instance.requests if r.allowed for p in (r.a, r.b)}
    values = [count[p] for p in people]
    return len(placed), -sum(1 for v in values if v == 0), min(values, default=0)


def person_caps(instance: Instance) -> dict[int, int]:
    """The most meetings each person could have: slots open to them under the per-day and in-a-row rules."""
    from bot.partnering.rules import max_meetings

    open_to: dict[int, set[int]] = defaultdict(set)
    for r in instance.requests:
        open_to[r.a].update(r.allowed)
        open_to[r.b].update(r.allowed)
    caps = {}
    for person, indexes in open_to.items():
        indexes |= set(instance.fixed.get(person, ()))
        runs, days, run, day, last = [], [], 0, None, None
        for i in sorted(indexes):
            if last is not None and instance.slots[last].after == i:
                run += 1
            else:
                if run:
                    runs.append(run)
                    days.append(day)
                run, day = 1, instance.slots[i].day
            last = i
        if run:
            runs.append(run)
            days.append(day)
        caps[person] = max(0, max_meetings(instance.rules, runs, days) - len(instance.fixed.get(person, ())))
    return caps


def simple_bound(instance: Instance) -> int:
    """An upper bound on the placed count without a solver: free table-slots, requests with any slot,
    and half of each person's possible meetings (every meeting has two people)."""
    caps = person_caps(instance)
    degree: dict[int, int] = defaultdict(int)
    possible = 0
    for r in instance.requests:
        if r.allowed:
            possible += 1
            degree[r.a] += 1
            degree[r.b] += 1
    seats = sum(min(caps.get(p, 0), d) for p, d in degree.items())
    tables = sum(s.capacity for s in instance.slots)
    return min(possible, tables, seats // 2)


def solve(instance: Instance, *, time_limit: float = 60.0, workers: int = 2) -> Solution:
    """The best schedule found within ``time_limit`` seconds; greedy (with a warning) when the solver fails."""
    started = time.monotonic()
    hint = max(greedy(instance), fair_greedy(instance), key=lambda placed: _score(instance, placed))
    bound = simple_bound(instance)
    try:
        from ortools.sat.python import cp_model  # noqa: F401 - a missing solver is a fallback, not a crash

        pairs = sum(len(r.allowed) for r in instance.requests)
        if pairs <= FULL_MODEL_LIMIT:
            solution = _solve_full(instance, hint, time_limit=time_limit, workers=workers)
        else:
            solution = _solve_decomposed(instance, hint, time_limit=time_limit, workers=workers)
    except Exception as error:  # noqa: BLE001 - any solver failure: fall back, never half-place
        log.warning("the schedule optimiser failed (%s); using the greedy schedule instead", error, exc_info=True)
        return Solution(hint, bound, f"greedy (solver failed: {str(error)[:120]})", time.monotonic() - started)
    if _score(instance, solution.placed) < _score(instance, hint):  # never worse than the greedy hint
        solution = Solution(hint, solution.bound, "feasible (greedy hint kept)", stages=solution.stages)
    solution.bound = max(len(solution.placed), min(solution.bound, bound))
    solution.seconds = time.monotonic() - started
    return solution


# --- the CP-SAT model ------------------------------------------------------------------------------


class _Model:
    """x[r, s] = request r meets in slot s, with every hard rule as a constraint."""

    def __init__(self, instance: Instance, requests: list[Request]) -> None:
        from ortools.sat.python import cp_model

        self.cp = cp_model
        self.model = cp_model.CpModel()
        self.instance = instance
        self.requests = requests
        self.x: dict[tuple[int, int], object] = {}
        self.aux: list[tuple[object, object]] = []  # (helper variable, its value from meetings per person)
        by_slot: dict[int, list] = defaultdict(list)
        self.by_person_slot: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
        self.per_request: dict[int, list] = {}
        for r in requests:
            own = []
            for s in r.allowed:
                var = self.model.new_bool_var("")
                self.x[r.id, s] = var
                own.append(var)
                by_slot[s].append(var)
                self.by_person_slot[r.a][s].append(var)
                self.by_person_slot[r.b][s].append(var)
            self.per_request[r.id] = own
            if r.current is not None:  # a confirmed meeting may move (--reoptimise) but not be dropped
                self.model.add_exactly_one(own)
            elif len(own) > 1:
                self.model.add_at_most_one(own)
        for s, variables in by_slot.items():
            if len(variables) > instance.slots[s].capacity:
                self.model.add(sum(variables) <= instance.slots[s].capacity)
        self._people_rules()

    def _people_rules(self) -> None:
        instance, rules, slots = self.instance, self.instance.rules, self.instance.slots
        gap = rules.slot_minutes * rules.venue_change_slots
        for person, per_slot in self.by_person_slot.items():
            fixed = set(instance.fixed.get(person, ()))
            for variables in per_slot.values():
                if len(variables) > 1:
                    self.model.add_at_most_one(variables)

            def occupied(s: int, per_slot=per_slot, fixed=fixed):
                return 1 if s in fixed else sum(per_slot.get(s, []))

            used = set(per_slot) | fixed
            if rules.max_per_day is not None:
                days: dict[int, list[int]] = defaultdict(list)
                for s in used:
                    days[slots[s].day].append(s)
                for day_slots in days.values():
                    if len(day_slots) > rules.max_per_day:
                        self.model.add(sum(occupied(s) for s in day_slots) <= rules.max_per_day)
            if rules.max_in_a_row is not None:
                window = rules.max_in_a_row + 1
                for s in used:
                    chain = [s]
                    while len(chain) < window and slots[chain[-1]].after >= 0:
                        chain.append(slots[chain[-1]].after)
                    if len(chain) == window and all(c in used for c in chain):
                        self.model.add(sum(occupied(c) for c in chain) <= rules.max_in_a_row)
            if gap:
                ordered = sorted(used)
                for i, s in enumerate(ordered):
                    for t in ordered[i + 1 :]:
                        if slots[t].starts_min >= slots[s].ends_min + gap:
                            break
                        if slots[s].venue_id != slots[t].venue_id and conflict(slots[s], slots[t], gap):
                            self.model.add(occupied(s) + occupied(t) <= 1)

    def count(self):
        return sum(self.x.values())

    def hint(self, placed: dict[int, int]) -> None:
        """A complete hint: every x and every helper variable (CP-SAT drops a partial one quickly)."""
        self.model.clear_hints()
        for (rid, s), var in self.x.items():
            self.model.add_hint(var, placed.get(rid) == s)
        if self.aux:
            count = meetings_per_person(self.instance, placed)
            for var, value in self.aux:
                self.model.add_hint(var, value(count))

    def run(self, seconds: float, workers: int):
        solver = self.cp.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.5, seconds)
        solver.parameters.num_workers = workers
        status = solver.solve(self.model)
        return solver, status

    def placed(self, solver) -> dict[int, int]:
        return {rid: s for (rid, s), var in self.x.items() if solver.boolean_value(var)}


def _fairness(model: _Model, people: set[int], fixed: dict[int, list[int]]):
    """t (the least-served person's count) weighted above the number of people with at least one meeting."""
    m = model.model
    least = m.new_int_var(0, len(model.instance.slots), "least")
    model.aux.append((least, lambda count: min((count[p] for p in people), default=0)))
    served = []
    for person in people:
        mine = [v for vs in model.by_person_slot[person].values() for v in vs] if person in model.by_person_slot else []
        total = sum(mine) + len(fixed.get(person, ()))
        m.add(least <= total)
        if not fixed.get(person):
            some = m.new_bool_var("")
            m.add(some <= sum(mine)) if mine else m.add(some == 0)
            model.aux.append((some, lambda count, person=person: count[person] > 0))
            served.append(some)
        else:
            served.append(1)
    return least * (len(people) + 1) + sum(served)


def _preferences(instance: Instance, requests: list[Request], model: _Model):
    """Weights: a meeting in a block one of the two marked unavailable (soft availability) costs more than all
    the rest; then keeping a movable meeting's slot above the preferred day above "older requests, and earlier
    slots for older requests" (the product, so two requests never tie by swapping their slots)."""
    slots = len(instance.slots)
    count = len(instance.requests) + 1
    day = count * (slots + 1) + 1
    stay = 2 * day
    terms = []
    for r in requests:
        for s in r.allowed:
            weight = (count - r.rank) * (slots + 1 - s)
            if not r.preferred or s in r.preferred:
                weight += day
            if r.current == s:
                weight += stay
            if s in r.discouraged:
                weight -= 2 * stay
            terms.append(weight * model.x[r.id, s])
    return sum(terms)


def _people_to_serve(instance: Instance, requests: list[Request]) -> set[int]:
    """Everyone with a request that has any slot at all (the rest cannot be helped by any schedule)."""
    return {p for r in requests if r.allowed for p in (r.a, r.b)}


def _solve_full(instance: Instance, hint: dict[int, int], *, time_limit: float, workers: int) -> Solution:
    deadline = time.monotonic() + time_limit
    model = _Model(instance, instance.requests)
    cp = model.cp
    best, stages = hint, []

    def left(share: float) -> float:
        return max(0.5, (deadline - time.monotonic()) * share)

    # (a) as many as possible
    model.model.maximize(model.count())
    model.hint(best)
    solver, status = model.run(left(0.5), workers)
    if status not in (cp.OPTIMAL, cp.FEASIBLE):
        raise RuntimeError(f"no schedule from the solver ({solver.status_name(status)})")
    best = model.placed(solver)
    bound = int(round(solver.best_objective_bound))
    proven = status == cp.OPTIMAL
    stages.append(f"placed {len(best)} of at most {bound}")
    model.model.add(model.count() >= len(best))
    # (b) fairness
    fairness = _fairness(model, _people_to_serve(instance, instance.requests), instance.fixed)
    model.model.maximize(fairness)
    model.hint(best)
    solver, status = model.run(left(0.6), workers)
    if status in (cp.OPTIMAL, cp.FEASIBLE):
        best = model.placed(solver)
        proven = proven and status == cp.OPTIMAL
        model.model.add(fairness >= int(round(solver.objective_value)))
        stages.append("fairness " + ("optimal" if status == cp.OPTIMAL else "best found"))
    # (c) preferences and stability
    model.model.maximize(_preferences(instance, instance.requests, model))
    model.hint(best)
    solver, status = model.run(left(1.0), workers)
    if status in (cp.OPTIMAL, cp.FEASIBLE):
        best = model.placed(solver)
        proven = proven and status == cp.OPTIMAL
        stages.append("preferences " + ("optimal" if status == cp.OPTIMAL else "best found"))
    return Solution(best, bound, "optimal" if proven else "feasible", stages=stages)


def _solve_decomposed(instance: Instance, hint: dict[int, int], *, time_limit: float, workers: int) -> Solution:
    """Which requests, then their slots, then a greedy fill and alternating-path swaps; the better of two choices:
    the min-cost flow that serves the most people (two-sided requests) and stage A's CP-SAT choice."""
    from ortools.sat.python import cp_model

    from bot.partnering import relaxations

    deadline = time.monotonic() + time_limit
    stages = []
    caps = person_caps(instance)
    candidates = [r for r in instance.requests if r.allowed]
    bound = simple_bound(instance)
    if len(hint) < bound:  # the LP over slot classes: often much tighter than counting per person
        lp = relaxations.class_bound(instance)
        if lp is not None and lp < bound:
            bound = lp
            stages.append(f"LP bound {lp}")
    flow = relaxations.first_meetings(instance)
    best = hint
    if flow is not None:
        chosen, most_served = flow
        people = len(_people_to_serve(instance, candidates))
        stages.append(f"flow: {len(chosen)} first meetings, at least {people - most_served} at zero")
        picked = sorted((r for r in candidates if r.id in chosen), key=lambda r: (len(r.allowed), r.rank))
        placed = _place_chosen(instance, picked, deadline - time_limit * 0.5, workers, stages, "flow")
        best = max(best, placed, key=lambda p: _score(instance, p))
    # Stage A: z[r] = request r is placed; each person within their cap; the floor's table-slots in total.
    model = cp_model.CpModel()
    z = {r.id: model.new_bool_var("") for r in candidates}
    mine: dict[int, list] = defaultdict(list)
    for r in candidates:
        mine[r.a].append(z[r.id])
        mine[r.b].append(z[r.id])
    for person, variables in mine.items():
        if len(variables) > caps.get(person, 0):
            model.add(sum(variables) <= caps.get(person, 0))
    total = sum(z.values())
    model.add(total <= sum(s.capacity for s in instance.slots))
    for r in candidates:
        model.add_hint(z[r.id], r.id in best)
        if r.current is not None:
            model.add(z[r.id] == 1)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    if len(best) >= bound and flow is not None:  # (a) proven, and the flow chose for the most people served
        return Solution(best, bound, "feasible", stages=stages)
    if len(best) >= bound:  # as many as the bound allows: (a) is proven
        chosen = set(best)
        stages.append(f"A: at the bound {bound}")
    else:
        model.maximize(total)
        solver.parameters.max_time_in_seconds = max(0.5, (deadline - time.monotonic()) * 0.3)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # nothing in time: what we have stands
            stages.append(f"A: {solver.status_name(status)} in time")
            return Solution(best, bound, "feasible", stages=stages)
        bound = min(bound, int(round(solver.best_objective_bound)))
        chosen = {rid for rid, var in z.items() if solver.boolean_value(var)}
        stages.append(f"A: {len(chosen)} chosen of at most {bound}")
    chosen = _fair_choice(instance, model, z, mine, caps, chosen, solver, deadline, stages)
    picked = [r for r in candidates if r.id in chosen]
    placed = _place_chosen(instance, picked, deadline, workers, stages, "B")
    best = max(best, placed, key=lambda p: _score(instance, p))
    return Solution(best, bound, "feasible", stages=stages)


def _fair_choice(instance, model, z, mine, caps, chosen, solver, deadline, stages) -> set[int]:
    """Stage A's fairness within the count: nobody at zero who could have one, the least-served as high as it goes."""
    from ortools.sat.python import cp_model

    total = sum(z.values())
    model.add(total >= len(chosen))
    least = model.new_int_var(0, len(instance.slots), "least")
    served = []
    model.clear_hints()
    count = meetings_per_person(instance, {rid: 0 for rid in chosen})
    for rid, var in z.items():
        model.add_hint(var, rid in chosen)
    lowest = len(instance.slots)
    for person, variables in mine.items():
        if caps.get(person, 0) > 0:
            model.add(least <= sum(variables) + len(instance.fixed.get(person, ())))
            lowest = min(lowest, count[person])
            some = model.new_bool_var("")
            model.add(some <= sum(variables))
            model.add_hint(some, count[person] > 0)
            served.append(some)
    model.add_hint(least, lowest if served else 0)
    most = model.new_int_var(0, len(instance.slots), "most")  # a tie-break: nobody hoards meetings
    for variables in mine.values():
        model.add(most >= sum(variables))
    model.add_hint(most, max(count.values(), default=0))
    scale = len(instance.slots) + 1
    model.maximize((least * (len(mine) + 1) + sum(served)) * scale - most)
    solver.parameters.max_time_in_seconds = max(0.5, (deadline - time.monotonic()) * 0.35)
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        unserved = len(served) - int(solver.value(sum(served)))
        stages.append(f"A fair: least-served {int(solver.value(least))}, {unserved} at zero")
        return {rid for rid, var in z.items() if solver.boolean_value(var)}
    return chosen


def _place_chosen(
    instance: Instance, picked: list[Request], deadline: float, workers: int, stages: list[str], name: str
) -> dict[int, int]:
    """Slots for the chosen requests (least-served-first greedy, CP-SAT when small enough, alternating-path
    swaps), then the rest least served first, then swaps for the rest."""
    from ortools.sat.python import cp_model

    from bot.partnering.augmenting import augment

    first = fair_greedy(instance, picked)
    placed = first
    if len(first) < len(picked) and sum(len(r.allowed) for r in picked) <= STAGE_B_LIMIT:
        sub = _Model(instance, picked)
        sub.model.maximize(sub.count() * 4 + _served_bonus(sub, picked, instance))
        sub.hint(first)
        solver_b, status = sub.run((deadline - time.monotonic()) * 0.6, workers)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and len(sub.placed(solver_b)) >= len(first):
            placed = sub.placed(solver_b)
    if len(placed) < len(picked):
        placed = augment(instance, repair(instance, placed, picked, deadline), picked, deadline)
    stages.append(f"{name}: {len(placed)} of {len(picked)} chosen placed")
    placed = fair_greedy(instance, placed=placed)
    count = meetings_per_person(instance, placed)
    rest = sorted((r for r in instance.requests if r.id not in placed and r.allowed),
                  key=lambda r: (min(count[r.a], count[r.b]), r.rank))  # fmt: skip
    placed = augment(instance, placed, rest, deadline)
    stages.append(f"{name} fill: {len(placed)} placed")
    return placed


def _served_bonus(model: _Model, requests: list[Request], instance: Instance):
    """In stage B, a person's first meeting counts a little more than the others' extra ones."""
    people = _people_to_serve(instance, requests)
    bonus = []
    for person in people:
        if instance.fixed.get(person):
            continue
        mine = [v for vs in model.by_person_slot[person].values() for v in vs]
        if mine:
            some = model.model.new_bool_var("")
            model.model.add(some <= sum(mine))
            model.aux.append((some, lambda count, person=person: count[person] > 0))
            bonus.append(some)
    return sum(bonus)
