"""Garbage-collector settings for the long-lived processes (Celery worker processes, gunicorn workers).

Such a process holds a few hundred thousand objects once Django and the apps are loaded, and never
frees them. With CPython's default thresholds a full collection walks them all every so often, and
a delivery pump or a busy API worker allocates enough to trigger collections constantly: measured
on the fan-out benchmark, the worker spent about a fifth of its CPU collecting. So, once start-up is
done (the pattern the Python documentation describes for pre-forked servers):

* `gc.freeze()` moves everything loaded so far into a permanent generation that collections skip;
* the first threshold rises from 700 to 50,000 allocations, so young objects are examined a few
  times a second under load rather than thousands of times. Reference cycles are still collected,
  later; what a task or request leaves behind is small next to that.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def freeze_loaded_heap() -> None:
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, max(older, 20), max(oldest, 20))
