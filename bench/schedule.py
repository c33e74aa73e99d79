"""Benchmark: the schedule optimiser against today's greedy placement, on generated two-sided partnering events.

Start-ups, biotechs and academics (three quarters of the people) ask pharma companies and investors (the rest,
a few of them very popular) for meetings; every request is accepted; each person is away for some of the
4 blocks (2 days x 2 blocks x 8 slots = 32 slots); a fifth of the requests prefer a day. Both methods run on the
same instance in the same run, each in its own process (so memory is its own peak):

    .venv/bin/python bench/schedule.py                       # 1,000 / 5,000 / 20,000 people
    .venv/bin/python bench/schedule.py --people 20000 --time-limit 60
    .venv/bin/python bench/schedule.py --people 2000 --rules   # max 6 a day, 3 in a row, then a break

Columns: placed, the upper bound (the solver's, or the simple bound for greedy), the least-served person and how
many people have no meeting (among those with any request that has a slot), a lower bound on that number (an LP
relaxation solved with GLOP after the run, not timed), Jain's fairness index of the meetings per person, wall
time (instance generation excluded) and peak memory (max RSS of the process, before the LP).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.partnering import optimiser  # noqa: E402
from bot.partnering.rules import Rules  # noqa: E402

SLOT_MINUTES = 30


def generate(people: int, *, seed: int = 7, rules: Rules | None = None, tables: int = 400) -> optimiser.Instance:
    """A two-sided event: 3 accepted requests per person, ``tables`` per 20,000 people, 32 slots over 4 blocks."""
    rng = random.Random(seed)
    tables = max(10, people * tables // 20_000)
    slots = []
    for block in range(4):
        day, start = divmod(block, 2)
        base = day * 24 * 60 + (9 * 60 if start == 0 else 13 * 60)
        for k in range(8):
            begins = base + k * SLOT_MINUTES
            slots.append(optimiser.Slot(index=len(slots), id=len(slots) + 1, day=day, venue_id=1 + start,
                                        starts_min=begins, ends_min=begins + SLOT_MINUTES, capacity=tables))  # fmt: skip
    for one, two in zip(slots, slots[1:], strict=False):
        if two.starts_min == one.ends_min:
            one.after = two.index
    askers = int(people * 0.75)
    invitees = list(range(askers, people))
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(invitees))]  # a few very popular invitees
    away = {}
    for person in range(people):
        roll = rng.random()
        away[person] = set() if roll < 0.5 else {rng.randrange(4)} if roll < 0.85 else set(rng.sample(range(4), 2))
    requests, seen = [], set()
    target = people * 3
    while len(requests) < target:
        a = rng.randrange(askers)
        b = rng.choices(invitees, weights)[0]
        if (a, b) in seen:
            continue
        seen.add((a, b))
        blocked = away[a] | away[b]
        allowed = [s.index for s in slots if s.index // 8 not in blocked]
        preferred = frozenset()
        if rng.random() < 0.2:
            day = rng.randrange(2)
            preferred = frozenset(s.index for s in slots if s.day == day)
        requests.append(optimiser.Request(id=len(requests) + 1, a=a, b=b, allowed=allowed, preferred=preferred,
                                          rank=len(requests)))  # fmt: skip
    # Early requesters ask first: requests come in the order askers' first requests were sent.
    return optimiser.Instance(slots=slots, requests=requests, rules=rules or Rules(slot_minutes=SLOT_MINUTES))


def measure(instance: optimiser.Instance, placed: dict[int, int]) -> dict:
    counts: Counter[int] = Counter()
    for r in instance.requests:
        if r.id in placed:
            counts[r.a] += 1
            counts[r.b] += 1
    involved = {p for r in instance.requests if r.allowed for p in (r.a, r.b)}
    values = [counts[p] for p in involved]
    square = sum(v * v for v in values)
    return {
        "placed": len(placed),
        "least": min(values, default=0),
        "zero": sum(1 for v in values if v == 0),
        "jain": (sum(values) ** 2 / (len(values) * square)) if square else 0.0,
    }


def fewest_at_zero(instance: optimiser.Instance) -> int:
    """A lower bound on the people any schedule leaves at zero: the LP relaxation (GLOP) of "serve as many people
    as possible" with each person's meetings within their cap and the floor's table-slots in total."""
    from collections import defaultdict

    from ortools.linear_solver import pywraplp

    caps = optimiser.person_caps(instance)
    lp = pywraplp.Solver.CreateSolver("GLOP")
    z = {r.id: lp.NumVar(0, 1, "") for r in instance.requests if r.allowed}
    mine = defaultdict(list)
    for r in instance.requests:
        if r.allowed:
            mine[r.a].append(z[r.id])
            mine[r.b].append(z[r.id])
    served = []
    for person, variables in mine.items():
        y = lp.NumVar(0, 1, "")
        lp.Add(y <= sum(variables))
        lp.Add(sum(variables) <= caps[person])
        served.append(y)
    lp.Add(sum(z.values()) <= sum(s.capacity for s in instance.slots))
    lp.Maximize(sum(served))
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return 0
    return max(0, len(mine) - int(lp.Objective().Value() + 1e-6))


def check(instance: optimiser.Instance, placed: dict[int, int]) -> None:
    """Every hard rule holds in a schedule (a benchmark that breaks rules measures nothing)."""
    checker = optimiser.Checker(instance)
    by_id = {r.id: r for r in instance.requests}
    for rid, s in sorted(placed.items(), key=lambda item: item[1]):
        assert s in by_id[rid].allowed and checker.fits(by_id[rid], s), f"request {rid} breaks a rule in slot {s}"
        checker.add(by_id[rid], s)


def one(people: int, method: str, time_limit: float, with_rules: bool, tables: int) -> dict:
    rules = Rules(slot_minutes=SLOT_MINUTES, max_per_day=6, max_in_a_row=3, venue_change_slots=1) if with_rules else None
    instance = generate(people, rules=rules, tables=tables)
    started = time.monotonic()
    if method == "greedy":
        placed = optimiser.greedy(instance)
        bound, how = optimiser.simple_bound(instance), "greedy"
    else:
        solution = optimiser.solve(instance, time_limit=time_limit)
        placed, bound, how = solution.placed, solution.bound, solution.method + "; " + " · ".join(solution.stages)
    seconds = time.monotonic() - started
    check(instance, placed)
    memory_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the LP bound below
    result = measure(instance, placed)
    result["zero_bound"] = fewest_at_zero(instance) if method == "optimiser" else None
    result.update(people=people, requests=len(instance.requests), tables=instance.slots[0].capacity, method=method,
                  bound=bound, seconds=seconds, how=how,
                  memory_mb=memory_mb)  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, nargs="*", default=[1000, 5000, 20000])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--rules", action="store_true", help="max_per_day 6, max_in_a_row 3, venue_change_slots 1")
    parser.add_argument("--tables", type=int, default=400, help="tables per 20,000 people (default 400: BIO)")
    parser.add_argument("--one", nargs=2, metavar=("PEOPLE", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(int(args.one[0]), args.one[1], args.time_limit, args.rules, args.tables)))
        return
    print("| people | requests | tables | method | placed | bound | % of bound | least | at zero | no schedule has fewer "
          "at zero than | Jain | wall s | MB |")  # fmt: skip
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for people in args.people:
        for method in ("greedy", "optimiser"):
            command = [sys.executable, __file__, "--one", str(people), method, "--time-limit", str(args.time_limit),
                       "--tables", str(args.tables)]  # fmt: skip
            out = subprocess.run(command + (["--rules"] if args.rules else []), capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            share = r["placed"] / r["bound"] if r["bound"] else 1.0
            print(f"| {r['people']:,} | {r['requests']:,} | {r['tables']} | {method} | {r['placed']:,} | {r['bound']:,} | "
                  f"{share:.1%} | {r['least']} | {r['zero']:,} | {'' if r['zero_bound'] is None else format(r['zero_bound'], ',')} | "
                  f"{r['jain']:.3f} | {r['seconds']:.1f} | {r['memory_mb']:.0f} |")  # fmt: skip
            if method == "optimiser":
                print(f"<!-- {people}: {r['how']} -->", file=sys.stderr)


if __name__ == "__main__":
    main()
