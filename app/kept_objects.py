"""Keep the garbage collector off the objects a server process keeps for its whole life.

A worker that has served its first requests holds about 150,000 long-lived objects: the
app, its compiled templates, SQLAlchemy's statement caches, the kept menus. Python's full
collection walks every one of them (about 100 ms at 100,000 clients), paid by whichever
request happens to trigger it. Frozen, they are left out of every later collection.
"""

import gc

# A worker's first requests build what it keeps; freeze after these.
FREEZE_AFTER_REQUESTS = 50

_frozen = False


def freeze_kept_objects() -> None:
    """Collect the garbage once, then exempt every object alive now from collections."""
    gc.collect()
    gc.freeze()


def after_request_served(served: int) -> None:
    """Freeze the kept objects once, when the process has served its first requests."""
    global _frozen
    if not _frozen and served >= FREEZE_AFTER_REQUESTS:
        _frozen = True
        freeze_kept_objects()
