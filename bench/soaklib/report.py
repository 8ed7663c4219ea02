"""What the soak prints: latency per operation against a same-run baseline, the fault windows, and
the reconciliation of deliveries, fan-out, acknowledgements and the audit log."""

from __future__ import annotations

import json
import statistics
import subprocess
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench.soaklib.load import WEIGHTS, Sample, Shared


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def report(shared: Shared, windows: list[tuple[str, float, float]], began: float, ended: float, reconcile: dict[str, Any],
           receiver_log: Path, postgres_log: str, audit: subprocess.CompletedProcess[str], drained_at: float | None,
           load_after: str, logs: str) -> None:
    samples = shared.samples
    duration = ended - began
    print(f"\n== latency per operation (ms), {len(samples)} requests in {duration:.0f}s = {len(samples) / duration:.1f} req/s")
    print(f"{'operation':22s} {'count':>6s} {'p50':>7s} {'p95':>7s} {'p99':>7s} {'max':>7s}  statuses")
    by_op: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_op[sample.op].append(sample)

    def outside(sample: Sample) -> bool:
        """Neither started nor finished inside an outage window."""
        return not any(sample.started <= end and sample.started + sample.seconds >= start for _, start, end in windows)

    for op in WEIGHTS:
        rows = by_op.get(op, [])
        if not rows:
            continue
        ms = [s.seconds * 1000 for s in rows if outside(s) and 0 < s.status < 500]
        statuses = Counter(s.status for s in rows)
        print(f"{op:22s} {len(rows):6d} {percentile(ms, 50):7.1f} {percentile(ms, 95):7.1f} {percentile(ms, 99):7.1f} "
              f"{max(ms) if ms else float('nan'):7.1f}  {dict(sorted(statuses.items()))}")
    reads = [s.seconds * 1000 for s in samples if s.op in ("alert list", "alert detail") and outside(s) and 0 < s.status < 500]
    print(f"list+detail reads outside outages: p50 {percentile(reads, 50):.1f} ms, p99 {percentile(reads, 99):.1f} ms "
          f"(target p99 < 250 ms)")
    if reads:
        print(f"  (mean {statistics.mean(reads):.1f} ms over {len(reads)} reads)")
    alone = [s.seconds * 1000 for s in shared.baseline if s.status == 200]
    if alone and reads:
        print(f"baseline (one client alone, same run): p50 {percentile(alone, 50):.1f} ms, p99 {percentile(alone, 99):.1f} ms; "
              f"under load p50 x{percentile(reads, 50) / percentile(alone, 50):.1f}, "
              f"p99 x{percentile(reads, 99) / percentile(alone, 99):.1f}")

    server_errors_inside = [s for s in samples if (s.status >= 500 or s.status < 0) and not outside(s)]
    server_errors_outside = [s for s in samples if (s.status >= 500 or s.status < 0) and outside(s)]
    print("\n== faults")
    for name, start, end in windows:
        inside = [s for s in samples if s.started <= end and s.started + s.seconds >= start]
        print(f"{name:9s} window {start - began:6.1f}s .. {end - began:6.1f}s: {len(inside)} requests, "
              f"statuses {dict(sorted(Counter(s.status for s in inside).items()))}")
    print(f"5xx or failed connections outside the outage windows: {len(server_errors_outside)} "
          f"{dict(Counter((s.op, s.status) for s in server_errors_outside))}")
    print(f"5xx inside the windows: {len(server_errors_inside)}, all 503: "
          f"{all(s.status == 503 for s in server_errors_inside)} {dict(Counter(s.status for s in server_errors_inside))}")
    deadlocks = postgres_log.count("deadlock detected")
    print(f"deadlocks in the PostgreSQL log: {deadlocks}; lock waits logged: {postgres_log.count('still waiting for')}")
    print(f"load average after the run: {load_after}")

    print("\n== reconciliation")
    received: dict[tuple[str, str], set[str]] = defaultdict(set)
    receipts = Counter()
    for line in receiver_log.open():
        path, webhook_id, event_id = json.loads(line)
        received[(path.rsplit("/", 1)[-1], event_id)].add(webhook_id)
        receipts[webhook_id] += 1
    webhooks = reconcile["webhooks"]
    not_succeeded = [w for w in webhooks if w[3] != "succeeded"]
    not_received = [w for w in webhooks if w[0] not in receipts]
    two_ids = {key: ids for key, ids in received.items() if len(ids) > 1}
    duplicates = sum(count - 1 for count in receipts.values() if count > 1)
    print(f"drained: {'yes' if drained_at else 'NO'}; undispatched events {reconcile['undispatched']}, open deliveries {reconcile['open']}")
    print(f"webhook deliveries: {len(webhooks)}; not succeeded: {len(not_succeeded)}; never received: {len(not_received)}")
    print(f"receiver: {sum(receipts.values())} requests, {duplicates} duplicates (same webhook-id), "
          f"{len(two_ids)} (endpoint, event) pairs with two different webhook-ids")
    print(f"network-wide alert.published events: {reconcile['network_alert_events']}; missing an endpoint: "
          f"{reconcile['missing_fanout_count']} {reconcile['missing_fanout'][:3]}")
    print(f"published alerts: {reconcile['alerts']}; requested acknowledgements: {reconcile['acks_requested']}; "
          f"alerts missing one: {reconcile['missing_acks_count']} {reconcile['missing_acks'][:3]}")
    print(f"verify_audit_log: exit {audit.returncode}: {(audit.stdout or audit.stderr).strip().splitlines()[-1:]}")
    lost = len(not_succeeded) + len(not_received) + len(two_ids) + reconcile["missing_fanout_count"]
    print(f"\nVERDICT: lost deliveries {lost}, missing acknowledgements {reconcile['missing_acks_count']}, deadlocks {deadlocks}, "
          f"5xx outside outages {len(server_errors_outside)}, audit {'ok' if audit.returncode == 0 else 'BROKEN'}")
    tracebacks = logs.count("Traceback")
    print(f"tracebacks in the service logs: {tracebacks} (expected during the outage windows only)")
