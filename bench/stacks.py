"""Summarise py-spy raw (collapsed) stacks: where the worker's CPU samples went, by stage.

    .venv/bin/python bench/stacks.py PROFILE [PROFILE ...] [--top 25]

`bench/fanout.py --profile FILE` writes such files (py-spy record --format raw --subprocesses).
Each sample is attributed to the first stage whose pattern appears in its stack (innermost
first), and the leaf functions with the most samples are listed.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# (stage, pattern in a frame), tried from the innermost frame outwards: the innermost match wins.
STAGES = [
    ("sign", re.compile(r"signature_header|signing\.py|standardwebhooks|hmac")),
    ("record (DB)", re.compile(r"deliveries_record|_record \(")),
    ("claim (DB)", re.compile(r"deliveries_claim|deliveries_release|_claim \(")),
    ("prepare (DB, render)", re.compile(r"_prepare \(|_render_missing|webhook_body")),
    ("send (HTTP client)", re.compile(r"WebhookTransport\.send|Sender\._send|httpx|httpcore|aiohttp|anyio")),
    ("fan-out rows", re.compile(r"event_fan_out|_create_deliveries|subscriptions_matching")),
    ("event loop / threads", re.compile(r"run_forever|_run_once|select \(selectors|_drain|SimpleQueue|submit")),
    ("celery", re.compile(r"celery|kombu|billiard")),
]


def stage_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, pattern in STAGES:
            if pattern.search(frame):
                return name
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    stages: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for path in args.profiles:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack:
                continue
            frames = [f for f in stack.split(";") if not f.startswith("process ")] or ["(process)"]
            samples = int(count)
            total += samples
            stages[stage_of(frames)] += samples
            leaves[re.sub(r" \(.*?:\d+\)$", "", frames[-1]) + " — " + stage_of(frames)] += samples
    print(f"{total} samples")
    for name, samples in stages.most_common():
        print(f"{name:<24} {samples:>7} {100 * samples / total:>5.1f} %")
    print("\nleaf functions:")
    for name, samples in leaves.most_common(args.top):
        print(f"{samples:>7} {100 * samples / total:>5.1f} %  {name}")


if __name__ == "__main__":
    main()
