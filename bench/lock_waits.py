"""Benchmark (not a test): how long the network's audited writes wait while periodic work runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sax_volume1 bench/lock_waits.py --tool BUSIEST_TOOL_ID

Every audited write (publishing, answers, tokens, …) takes the chain lock first (exchange.services.chain),
so periodic work that holds it makes the whole network wait. For each piece of work — the evaluation of
one tool's signals (`--tool`, default the tool with the most reports) and the overdue sweep (at most
`--seconds`) — this starts it in a process of its own, as a Celery worker runs it (its task module
loaded first), and meanwhile takes and releases the chain lock every 50 ms from this process, as an
empty audited write would: it prints how many such writes went through, the longest and the median wait.
Run it on a built network (bench/volume.py --build-only): the evaluation writes signals, the sweep
tells overdue requests (what it told is not undone).
"""

# ruff: noqa: E402  (Django is set up before the project modules are imported)
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db.models import Count

from exchange.services.chain import audited_transaction

_PRELUDE = ("import os, sys, time; sys.path.insert(0, {root!r}); "
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); import django; django.setup(); "
            "from exchange.queueing import task_named; task_named('exchange.event_dispatch'); ")
WORK = {
    "signal evaluation of the tool": "from alerts.services.signals import signals_evaluate as run; args = {{'tool_id': {tool!r}}}; ",
    "overdue sweep": "from alerts.tasks import acknowledgements_overdue_sweep as task; run = task.run; args = {{}}; ",
}
_RUN = "print('ready', flush=True); started = time.perf_counter(); run(**args); print(f'{time.perf_counter() - started:.1f}', flush=True)"


def measure(name: str, code: str, seconds: float) -> None:
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, cwd=ROOT)
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        raise SystemExit(f"lock_waits: {name} did not start; run it by hand to see why: python -c {code!r}")
    print(f"  {name}: running …", flush=True)
    waits: list[float] = []
    end = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < end:
        started = time.perf_counter()
        with audited_transaction():
            pass
        waits.append((time.perf_counter() - started) * 1000)
        time.sleep(0.05)
    finished = process.poll() is not None
    if not finished:
        process.kill()
    took = process.stdout.read().strip() if finished else f"stopped after {seconds:.0f}"
    process.wait()
    if not waits:
        print(f"  {name}: finished before the first write")
        return
    print(f"  {name} ({took} s): {len(waits)} audited writes meanwhile, longest wait {max(waits):,.0f} ms, "
          f"median {statistics.median(waits):.1f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", help="the tool whose signals are evaluated (default: the one with the most reports)")
    parser.add_argument("--seconds", type=float, default=30.0, help="stop each piece of work after this long")
    parser.add_argument("--only", choices=sorted(WORK), help="run this piece of work only")
    args = parser.parse_args()
    from alerts.models import Report

    tool = args.tool or (Report.objects.values("tool_id").annotate(n=Count("id")).order_by("-n")
                         .values_list("tool_id", flat=True).first())
    if tool is None:
        raise SystemExit("lock_waits: no report in this database; build one first (bench/volume.py --build-only)")
    print(f"lock_waits: {os.uname().nodename}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    for name, body in WORK.items():
        if args.only and name != args.only:
            continue
        measure(name, _PRELUDE.format(root=str(ROOT)) + body.format(tool=str(tool)) + _RUN, args.seconds)


if __name__ == "__main__":
    main()
