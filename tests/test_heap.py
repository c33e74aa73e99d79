"""A served process exempts what start-up made from garbage collection (bot.heap), and still collects what its
requests leave behind: run in a child process, so this test's own heap is left as it is."""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import gc, weakref
from bot.heap import settle_after_startup

class Node:
    pass

before = Node()
before.me = before  # a cycle: only the collector could free it
kept = weakref.ref(before)
exempted = settle_after_startup()
del before  # frozen: a start-up cycle is never collected, though nothing outside refers to it
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle made after start-up, as a request's objects can be
gone = weakref.ref(a)
del a, b
gc.collect()
print(exempted > 1_000, kept() is None, gone() is None)
"""


def test_start_up_objects_are_exempted_and_later_garbage_is_still_collected() -> None:
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, check=True)

    assert result.stdout.split() == ["True", "False", "True"]
