"""What a long-running process does with its heap once it has started.

A web process with both doors holds about 200,000 objects once its libraries are imported and its apps built. A
full garbage collection walks all of them: 60-75 ms on a small machine, during which every thread stops, and a
burst's allocations trigger several. Those objects live as long as the process, so they are moved out of the
collector's sight once, when start-up is done (:func:`gc.freeze`); what requests create is still collected.
"""

from __future__ import annotations

import gc


def settle_after_startup() -> int:
    """Collect start-up's garbage, then exempt everything alive from later collections. Returns how many
    objects were exempted. Call it once, just before the process starts serving."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
