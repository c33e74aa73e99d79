"""Augmenting repairs for a schedule: place one more request by swapping two slots along an alternating path.

A waiting request between ``u`` and ``v`` is blocked when the slots ``u`` is free in are the ones ``v`` is busy in
(and the other way round). Take a slot alpha where ``u`` is free and a slot beta where ``v`` is free: the meetings
that alternate alpha, beta, alpha, ... from ``v`` (``v``'s alpha meeting, its partner's beta meeting, ...) form a
path; swapping alpha and beta along it frees ``v`` in alpha without touching ``u`` (when the requests are
two-sided, as askers and invitees are), and the request goes into alpha. This is the step of König's
edge-colouring proof (a Kempe chain). Each swapped meeting must still be allowed in its new slot (availability),
keep every rule and fit the slot's tables, or the swap is undone.
"""

from __future__ import annotations

import time

from bot.partnering.optimiser import Checker, Instance, Request

MAX_PATH = 400  # meetings on one alternating path; longer ones are not tried


class Schedule:
    """A schedule being repaired: who meets in which slot, with the rules' checker kept in step."""

    def __init__(self, instance: Instance, placed: dict[int, int]) -> None:
        self.instance = instance
        self.checker = Checker(instance)
        self.by_id = {r.id: r for r in instance.requests}
        self.allowed = {r.id: set(r.allowed) for r in instance.requests}
        self.placed = dict(placed)
        self.at: dict[tuple[int, int], int] = {}  # (person, slot) -> request id of their meeting there
        for rid, index in self.placed.items():
            self._add(self.by_id[rid], index)

    def _add(self, r: Request, index: int) -> None:
        self.checker.add(r, index)
        self.at[r.a, index] = self.at[r.b, index] = r.id
        self.placed[r.id] = index

    def _remove(self, r: Request) -> int:
        index = self.placed.pop(r.id)
        self.checker.remove(r, index)
        del self.at[r.a, index], self.at[r.b, index]
        return index

    def free(self, person: int, index: int) -> bool:
        return (person, index) not in self.at and index not in self.instance.fixed.get(person, ())

    def path(self, start: int, alpha: int, beta: int, avoid: int) -> list[Request] | None:
        """The meetings alternating alpha, beta, ... from ``start``'s alpha meeting; None if it reaches ``avoid``
        (an odd cycle: the swap would not free the slot) or is too long."""
        chain, person, colour, seen = [], start, alpha, set()
        while (person, colour) in self.at:
            rid = self.at[person, colour]
            if rid in seen or len(chain) >= MAX_PATH:
                return None
            seen.add(rid)
            r = self.by_id[rid]
            chain.append(r)
            person = r.b if r.a == person else r.a
            if person == avoid:
                return None
            colour = beta if colour == alpha else alpha
        return chain

    def swap(self, chain: list[Request], alpha: int, beta: int) -> bool:
        """Swap alpha and beta for the meetings of ``chain``; False (and nothing changed) if any breaks a rule."""
        old = [(r, self._remove(r)) for r in chain]
        done = []
        for r, index in old:
            new = beta if index == alpha else alpha
            if new not in self.allowed[r.id] or not self.checker.fits(r, new):
                for moved in done:
                    self._remove(moved)
                for back, index_back in old:
                    self._add(back, index_back)
                return False
            self._add(r, new)
            done.append(r)
        return True

    def place(self, r: Request) -> bool:
        """Place ``r`` directly or after one alternating-path swap."""
        for index in r.by_wish(r.allowed):
            if self.checker.fits(r, index):
                self._add(r, index)
                return True
        for u, v in ((r.a, r.b), (r.b, r.a)):
            alphas = [i for i in r.allowed if self.free(u, i) and not self.free(v, i)]
            betas = [i for i in r.allowed if self.free(v, i)]
            for alpha in alphas:
                for beta in betas:
                    if beta == alpha:
                        continue
                    chain = self.path(v, alpha, beta, avoid=u)
                    if not chain:
                        continue
                    if not self.swap(chain, alpha, beta):
                        continue
                    if self.checker.fits(r, alpha):
                        self._add(r, alpha)
                        return True
                    self.swap(chain, alpha, beta)  # back as it was (the same swap undoes itself)
        return False


def augment(instance: Instance, placed: dict[int, int], waiting: list[Request], deadline: float) -> dict[int, int]:
    """``placed`` with as many of ``waiting`` added as alternating-path swaps allow before ``deadline``."""
    schedule = Schedule(instance, placed)
    for r in waiting:
        if time.monotonic() > deadline:
            break
        if r.id not in schedule.placed and r.allowed:
            schedule.place(r)
    return schedule.placed
