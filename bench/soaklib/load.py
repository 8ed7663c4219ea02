"""The soak's load: clients of every member looping over a weighted mix of reads and writes, the
faults injected in the middle of the run, and the progress line every ten seconds."""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.soaklib.stack import Processes
from tests.integration.stack import PostgresCluster, http


@dataclass
class Sample:
    op: str
    status: int
    started: float
    seconds: float


@dataclass
class Shared:
    """What the clients know of each other's work: alert ids to read, amend and acknowledge."""

    published: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # publisher -> ids
    visible: list[str] = field(default_factory=list)
    drafts: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    samples: list[Sample] = field(default_factory=list)
    baseline: list[Sample] = field(default_factory=list)
    last_sequence: dict[str, int] = field(default_factory=lambda: defaultdict(int))


WEIGHTS = {
    "alert list": 20, "alert detail": 20, "inbox": 10, "events feed": 10, "tool performance": 6,
    "notifications": 4, "draft": 8, "publish": 6, "amend": 3, "acknowledge": 8, "report": 2,
    "subscription change": 3,
}


def alert_body(tool: str, code: str, n: int) -> dict[str, Any]:
    return {
        "title": f"Soak alert {code}-{n}: missed nodules after firmware update",
        "summary": "Sensitivity for sub-6 mm nodules fell after a vendor firmware update.",
        "description": "Post-market surveillance found missed nodules on reconstructed series.",
        "alert_type": "performance_degradation", "severity": random.choice(["low", "medium", "high", "critical"]),
        "affected_tools": [{"tool": tool, "versions": ">=2.0,<2.4"}], "affected_jurisdictions": ["GB", "US"],
        "hazard": "Delayed diagnosis.", "harm": "Missed or late treatment.",
        "recommended_actions": "Double-read CT studies acquired after the update.", "imdrf_codes": [],
        "publisher_reference": f"SOAK-{code}-{n}-{random.randrange(10**9)}",
        "distribution": "network", "recipients": [],
    }


def report_body(tool: str, country: str) -> dict[str, Any]:
    return {
        "tool": tool, "tool_version": "2.1", "period_start": "2026-01-01", "period_end": "2026-06-30",
        "setting": "Screening programme", "country": country, "population": "Adults 50-74", "sample_size": 5000,
        "method": "Audit against double reading", "data_source": "Programme audit database",
        "metrics": [{"metric": "sensitivity", "value": 0.86, "ci_low": 0.83, "ci_high": 0.89, "numerator": 860,
                     "denominator": 1000}],
        "subgroups": [], "distribution": "network", "recipients": [],
    }


async def client_loop(
    client: httpx.AsyncClient, code: str, country: str, tokens: dict[str, Any], tools: list[str], shared: Shared,
    stop_at: float, think: float, index: int,
) -> None:
    publisher = {"Authorization": f"Bearer {tokens['publisher']}"}
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    ops, weights = zip(*WEIGHTS.items(), strict=True)
    counter = 0
    while time.monotonic() < stop_at:
        await asyncio.sleep(random.uniform(0, 2 * think))
        op = random.choices(ops, weights)[0]
        counter += 1
        started = time.monotonic()
        status = 0
        try:
            if op == "alert list":
                status = (await client.get("/api/v1/alerts/?limit=20", headers=publisher)).status_code
            elif op == "alert detail":
                if not shared.visible:
                    continue
                status = (await client.get(f"/api/v1/alerts/{random.choice(shared.visible)}/", headers=publisher)).status_code
            elif op == "inbox":
                status = (await client.get("/api/v1/inbox/?limit=20", headers=publisher)).status_code
            elif op == "events feed":
                response = await client.get(f"/api/v1/events/?after={shared.last_sequence[code]}&limit=50", headers=publisher)
                status = response.status_code
                if status == 200 and response.json()["results"]:
                    shared.last_sequence[code] = response.json()["results"][-1]["sequence"]
            elif op == "tool performance":
                status = (await client.get(f"/api/v1/tools/{random.choice(tools)}/performance/", headers=publisher)).status_code
            elif op == "notifications":
                status = (await client.get("/api/v1/notifications/?limit=20", headers=publisher)).status_code
            elif op == "draft":
                response = await client.post("/api/v1/alerts/", json=alert_body(random.choice(tools), code, index * 10000 + counter),
                                             headers=publisher)
                status = response.status_code
                if status == 201:
                    shared.drafts[code].append(response.json()["id"])
            elif op == "publish":
                if not shared.drafts[code]:
                    continue
                alert_id = shared.drafts[code].pop()
                status = (await client.post(f"/api/v1/alerts/{alert_id}/publish/", json={}, headers=publisher)).status_code
                if status == 200:
                    shared.published[code].append(alert_id)
                    shared.visible.append(alert_id)
            elif op == "amend":
                if not shared.published[code]:
                    continue
                alert_id = random.choice(shared.published[code])
                current = await client.get(f"/api/v1/alerts/{alert_id}/", headers=publisher)
                if current.status_code != 200:
                    status = current.status_code
                else:
                    response = await client.post(
                        f"/api/v1/alerts/{alert_id}/amend/",
                        json={"summary": f"Updated at {time.time():.3f}", "change_summary": "Soak update",
                              "material": random.random() < 0.3},
                        headers={**publisher, "If-Match": current.headers.get("ETag", "")},
                    )
                    status = response.status_code
            elif op == "acknowledge":
                if not shared.visible:
                    continue
                alert_id = random.choice(shared.visible)
                state = random.choice(["received", "assessing", "action_taken", "not_applicable"])
                body: dict[str, Any] = {"state": state}
                if state == "action_taken":
                    body.update(comment="Double reading introduced at every site.", decision="adopt",
                                rationale="The same action applies in our jurisdiction.")
                status = (await client.put(f"/api/v1/alerts/{alert_id}/acknowledgement/", json=body,
                                           headers=publisher)).status_code
            elif op == "report":
                response = await client.post("/api/v1/reports/", json=report_body(random.choice(tools), country),
                                             headers=publisher)
                status = response.status_code
                if status == 201:
                    status = (await client.post(f"/api/v1/reports/{response.json()['id']}/publish/", json={},
                                                headers=publisher)).status_code
            elif op == "subscription change":
                status = (await client.patch(f"/api/v1/subscriptions/{tokens['subscription']}/",
                                             json={"min_severity": random.choice(["low", "medium", "high", None])},
                                             headers=admin)).status_code
        except httpx.HTTPError:
            status = -1  # the connection failed or timed out
        shared.samples.append(Sample(op, status, started, time.monotonic() - started))


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def progress(shared: Shared, stop_at: float, began: float, receiver_log: Path) -> None:
    while time.monotonic() < stop_at:
        await asyncio.sleep(10)
        samples = shared.samples
        elapsed = time.monotonic() - began
        errors = sum(1 for s in samples if s.status >= 500 or s.status < 0)
        received = sum(1 for _ in receiver_log.open()) if receiver_log.exists() else 0
        print(f"  t={elapsed:5.0f}s  requests={len(samples):6d}  rps={len(samples) / elapsed:6.1f}  5xx/failed={errors:4d}"
              f"  webhooks received={received:6d}  load={load_average()}", flush=True)


async def faults(procs: Processes, postgres: PostgresCluster, redis: Any, duration: float, began: float,
                 windows: list[tuple[str, float, float]]) -> None:
    async def at(fraction: float) -> None:
        await asyncio.sleep(max(0.0, began + fraction * duration - time.monotonic()))

    async def restart(name: str, label: str, server: Any, down: float) -> None:
        """Stop `server`, keep it down `down` seconds, start it; its outage window ends 3 s after it is back."""
        print(f"  fault: restarting {label}", flush=True)
        start = time.monotonic()
        await asyncio.to_thread(server.stop)
        await asyncio.sleep(down)
        await asyncio.to_thread(server.start)
        windows.append((name, start, time.monotonic() + 3))
        print(f"  fault: {label} back after {time.monotonic() - start:.1f}s", flush=True)

    await at(0.35)
    await restart("postgres", "PostgreSQL", postgres, 5)

    await at(0.55)
    await restart("redis", "Redis", redis, 3)

    await at(0.75)
    pid = procs.kill_worker()
    print(f"  fault: SIGKILLed Celery worker {pid}; starting a replacement in 5 s", flush=True)
    await asyncio.sleep(5)
    procs.start_worker()


async def run_load(base_url: str, seed: dict[str, Any], countries: dict[str, str], procs: Processes,
                   postgres: PostgresCluster, redis: Any, *, clients: int, duration: float, think: float,
                   receiver_log: Path) -> tuple[Shared, list[tuple[str, float, float]], float, float]:
    shared = Shared()
    _, _, raw = http("GET", base_url + "/api/v1/alerts/?limit=200",
                          token=seed["members"]["MHRA"]["publisher"])
    shared.visible.extend(item["id"] for item in json.loads(raw)["results"])
    windows: list[tuple[str, float, float]] = []
    # Baseline, same run: one client alone, the same list and detail reads back to back.
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(30.0)) as alone:
        headers = {"Authorization": f"Bearer {seed['members']['FDA']['publisher']}"}
        for n in range(120):
            path = "/api/v1/alerts/?limit=20" if n % 2 else f"/api/v1/alerts/{random.choice(shared.visible)}/"
            started = time.monotonic()
            response = await alone.get(path, headers=headers)
            if n >= 20:  # the first ones warm the workers up
                shared.baseline.append(Sample("baseline read", response.status_code, started, time.monotonic() - started))
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(30.0), limits=limits) as client:
        began = time.monotonic()
        stop_at = began + duration
        codes = list(seed["members"])
        tasks = [
            asyncio.create_task(client_loop(client, codes[i % len(codes)], countries[codes[i % len(codes)]],
                                            seed["members"][codes[i % len(codes)]], seed["tools"], shared, stop_at,
                                            think, i))
            for i in range(clients)
        ]
        tasks.append(asyncio.create_task(progress(shared, stop_at, began, receiver_log)))
        tasks.append(asyncio.create_task(faults(procs, postgres, redis, duration, began, windows)))
        await asyncio.gather(*tasks)
        ended = time.monotonic()
    return shared, windows, began, ended
