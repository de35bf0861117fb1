"""Keeps Python's cyclic garbage collector out of the cold start.

Why: importing Powertools and botocore and creating the S3 client allocate about 60,000
long-lived objects (modules, classes, functions, the client's model and handler tables) and
almost no cyclic garbage (about 300 objects, ~80 kB, measured in the bench's layout). With the
collector on, every 700 allocations it walks the young objects again, which cost about a tenth of
the cold start (see README.md, "Cold start"). So ``app`` pauses the collector while it imports and
while it creates the runtime, then ``gc.freeze()``s what exists at that point, which moves it to
the permanent generation: later collections (warm invocations) no longer walk it either, and the
collector is switched back on exactly as it was. The price is that the little cyclic garbage made
during start-up is never reclaimed.

Only the cold start freezes (``freeze=True``); pausing again later (tests and the local gateway
recreate the runtime) simply switches the collector off and on, so nothing accumulates in the
permanent generation of a long-lived process.
"""

from __future__ import annotations

import gc


def pause() -> bool:
    """Switch the collector off; returns whether it was on, to hand to ``resume``."""
    was_enabled = gc.isenabled()
    gc.disable()
    return was_enabled


def resume(was_enabled: bool, *, freeze: bool) -> None:
    """Optionally freeze every object alive now, then restore the collector's previous state."""
    if freeze:
        gc.freeze()
    if was_enabled:
        gc.enable()
