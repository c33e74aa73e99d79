"""Moves the wall clock of every Python process of a test run ahead: the check that no test depends on today's date.

`.ci/run` copies this module and a `.pth` line importing it into the virtualenv for one extra run with
PARTNERUP_CLOCK_AHEAD_DAYS set, so the test process and every `python -m bot ...` it starts (whatever their
PYTHONPATH) see the same shifted clock; without the variable the import does nothing. time-machine shifts only the
wall clock (time.time, datetime.now, ...), not the monotonic clock that timeouts and thread waits use.
libfaketime was tried first: on Python 3.11 it makes thread waits hang (sem_clockwait is not intercepted), or
time.sleep fail with EINVAL when the monotonic clock is left alone.
"""

import os

_days = os.environ.get("PARTNERUP_CLOCK_AHEAD_DAYS", "").strip()
if _days:
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(UTC) + timedelta(days=int(_days)), tick=True).start()
