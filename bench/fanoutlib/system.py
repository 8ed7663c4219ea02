"""The machine: free ports, what it is, CPU used by processes, waiting for a condition."""

from __future__ import annotations

import os
import platform
import socket
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB RAM"
    except (ValueError, OSError):
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs{memory}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def cpu_seconds(root: int | None = None, name: str | None = None) -> float:
    """CPU time (user + system) of process `root` and its descendants, or of every process called
    `name`, their reaped children included, from /proc (Linux); 0.0 where /proc cannot be read."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    names: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm_end = text.rfind(")")
        fields = text[comm_end + 2:].split()
        pid = int(stat.parent.name)
        names[pid] = text[text.find("(") + 1: comm_end]
        parents[pid] = int(fields[1])
        # Own time, and that of children already reaped: PostgreSQL's postmaster reaps backends whose
        # connections closed (a Celery task closes its connection when it ends).
        used[pid] = (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / ticks
    if name is not None:
        return sum(cpu for pid, cpu in used.items() if names.get(pid) == name)
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(used.get(pid, 0.0) for pid in tree)


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)
