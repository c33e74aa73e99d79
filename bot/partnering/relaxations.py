"""Relaxations of the schedule that are solved exactly and fast: an upper bound on the meetings placed (an LP over
classes of interchangeable slots) and the choice of first meetings that serves the most people (a min-cost flow).

Slots that every request allows alike (the same people are free in them) are interchangeable for counting: the LP
asks how many meetings each class of slots takes, within the class's tables, each person's free slots in the
class and each person's limit. Any schedule is a solution of it, so its optimum bounds every schedule.

When requests are two-sided (every request joins an asker and an invitee, nobody on both sides), "serve as many
people as possible with at most this many meetings" is a min-cost flow: source -> asker -> invitee -> sink, a
person's first meeting worth a lot, each further one costing a little. Its optimum is the fewest people any
schedule can leave at zero (slots aside), and its meetings are the ones to place first.
"""

from __future__ import annotations

from collections import defaultdict

from bot.partnering.optimiser import Instance, Request, person_caps


def slot_classes(instance: Instance) -> list[list[int]]:
    """Slot indexes grouped by the requests that allow them (with the same people busy in them)."""
    allowing: dict[int, list[int]] = defaultdict(list)
    for r in instance.requests:
        for s in r.allowed:
            allowing[s].append(r.id)
    busy: dict[int, list[int]] = defaultdict(list)
    for person, indexes in sorted(instance.fixed.items()):
        for s in indexes:
            busy[s].append(person)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for s in sorted(allowing):
        groups[tuple(allowing[s]), tuple(busy[s])].append(s)
    return list(groups.values())


def class_bound(instance: Instance) -> int | None:
    """The most meetings any schedule places (LP over slot classes, GLOP); None without a solver answer."""
    from ortools.linear_solver import pywraplp

    classes = slot_classes(instance)
    class_of = {s: k for k, members in enumerate(classes) for s in members}
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:
        return None
    per_class: dict[int, list] = defaultdict(list)
    per_person_class: dict[tuple[int, int], list] = defaultdict(list)
    per_person: dict[int, list] = defaultdict(list)
    total = []
    for r in instance.requests:
        ks = sorted({class_of[s] for s in r.allowed})
        if not ks:
            continue
        mine = []
        for k in ks:
            x = lp.NumVar(0, 1, "")
            mine.append(x)
            per_class[k].append(x)
            per_person_class[r.a, k].append(x)
            per_person_class[r.b, k].append(x)
            per_person[r.a].append(x)
            per_person[r.b].append(x)
        lp.Add(sum(mine) <= 1)
        total.extend(mine)
    for k, variables in per_class.items():
        lp.Add(sum(variables) <= sum(instance.slots[s].capacity for s in classes[k]))
    for (person, k), variables in per_person_class.items():
        busy = set(instance.fixed.get(person, ()))
        free = sum(1 for s in classes[k] if s not in busy)
        if len(variables) > free:
            lp.Add(sum(variables) <= free)
    caps = person_caps(instance)
    for person, variables in per_person.items():
        if len(variables) > caps.get(person, 0):
            lp.Add(sum(variables) <= caps.get(person, 0))
    lp.Maximize(sum(total))
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return int(lp.Objective().Value() + 1e-6)


def sides(requests: list[Request]) -> dict[int, int] | None:
    """Each person's side (0 or 1) such that every request joins the two sides; None when there is none."""
    neighbours: dict[int, list[int]] = defaultdict(list)
    for r in requests:
        neighbours[r.a].append(r.b)
        neighbours[r.b].append(r.a)
    side: dict[int, int] = {}
    for r in requests:  # askers first: they start on side 0
        if r.a in side:
            continue
        side[r.a] = 0
        stack = [r.a]
        while stack:
            person = stack.pop()
            for other in neighbours[person]:
                if other not in side:
                    side[other] = 1 - side[person]
                    stack.append(other)
                elif side[other] == side[person]:
                    return None
    return side


def first_meetings(instance: Instance) -> tuple[set[int], int] | None:
    """The requests that give the most people a meeting within the floor's table-slots and each person's limit
    (fewest meetings among those), and how many people that serves at most; None when the requests are not
    two-sided or the flow fails. Confirmed meetings that may move are always among the chosen."""
    from ortools.graph.python import min_cost_flow

    candidates = [r for r in instance.requests if r.allowed]
    side = sides(candidates)
    if side is None:
        return None
    caps = person_caps(instance)
    chosen = {r.id for r in candidates if r.current is not None}
    served = {p for p, indexes in instance.fixed.items() if indexes}
    left = dict(caps)
    for r in candidates:
        if r.current is not None:
            for p in (r.a, r.b):
                served.add(p)
                left[p] = left.get(p, 0) - 1
    budget = sum(s.capacity for s in instance.slots) - len(chosen)
    people = sorted(side)
    node = {p: 2 + i for i, p in enumerate(people)}
    source, sink = 0, 1
    degree: dict[int, int] = defaultdict(int)
    for r in candidates:
        degree[r.a] += 1
        degree[r.b] += 1
    room_of = {p: max(0, min(left.get(p, 0), degree[p])) for p in people}
    # Each further meeting costs one more than the one before (nobody hoards), and a first meeting is worth more
    # than all of them together (at most two person-units per meeting, each costing at most the largest room).
    worth = 2 * max(1, budget) * (max(room_of.values(), default=0) + 1) + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    for p in people:
        room = room_of[p]
        first = 0 if p in served else min(1, room)
        ends = (source, node[p]) if side[p] == 0 else (node[p], sink)
        if first:
            flow.add_arc_with_capacity_and_unit_cost(*ends, 1, -worth)
        for extra in range(1, room - first + 1):
            flow.add_arc_with_capacity_and_unit_cost(*ends, 1, extra)
    arcs = {}
    for r in candidates:
        if r.current is None:
            one, two = (r.a, r.b) if side[r.a] == 0 else (r.b, r.a)
            arcs[r.id] = flow.add_arc_with_capacity_and_unit_cost(node[one], node[two], 1, 0)
    flow.add_arc_with_capacity_and_unit_cost(source, sink, max(0, budget), 0)  # table-slots left unused
    flow.set_node_supply(source, max(0, budget))
    flow.set_node_supply(sink, -max(0, budget))
    if flow.solve() != flow.OPTIMAL:
        return None
    chosen |= {rid for rid, arc in arcs.items() if flow.flow(arc) > 0}
    by_id = {r.id: r for r in candidates}
    for rid in chosen:
        served.update((by_id[rid].a, by_id[rid].b))
    return chosen, len(served & set(side))
