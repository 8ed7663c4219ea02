"""The long-lived processes' collector settings (config/heap.py) skip the loaded heap and still
collect reference cycles on their own."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import gc, weakref
    from config.heap import YOUNG_THRESHOLD, freeze_loaded_heap

    loaded = [[i] for i in range(100_000)]  # what start-up leaves behind
    freeze_loaded_heap()
    assert gc.get_freeze_count() >= 100_000, gc.get_freeze_count()
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD

    freed = [0]

    class Node:
        def __del__(self):
            freed[0] += 1

    for _ in range(2 * YOUNG_THRESHOLD):  # a task's cyclic garbage, never collected by hand
        node = Node()
        node.self = node
    print(freed[0])
""")


def test_frozen_heap_and_cycles_still_collected() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 50_000  # collected when the young generation filled up
