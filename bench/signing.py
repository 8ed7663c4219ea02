"""Benchmark (not a test): what signing costs publishing, and what verifying costs a reader (SPEC §8).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sax .venv/bin/python bench/signing.py [--alerts 40]

In a throw-away database (test_<name>), times `alert_publish` — the whole transaction — for a
series of network alerts with signing as it is, and for the same number with the revision's
signing step replaced by nothing: the baseline, measured in the same run, interleaved so that
load changes hit both alike. Then times the signing step alone (key lookup, AES-GCM decryption of
the private key, RFC 8785 canonicalisation, Ed25519), the same with the key row already read, and
an offline verification with joserfc (canonicalisation, key set, Ed25519) per revision.
"""

# ruff: noqa: E402  (Django is set up before the project modules are imported)
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")  # dispatch is queued, never run, here

import django

django.setup()

import rfc8785
from django.db import connection
from joserfc import jws
from joserfc.jwk import KeySet

import alerts.services.alerts as alert_services
from alerts.models import AlertRevision
from alerts.payloads import revision_signed_payload
from alerts.services.alerts import alert_draft_create, alert_publish
from alerts.services.tools import authorization_record, tool_register
from exchange.services.members import member_create, user_create
from exchange.services.provenance import (
    jwks_render,
    jws_sign_detached,
    sign,
    signing_key_active,
    signing_keys_of,
)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values):>9.3f} {_percentile(values, 0.95):>8.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=40, help="publications timed each way")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="EdDSA is deprecated")

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        member = member_create(actor=None, code="BENCH", name="Bench regulator", country="GB")
        publisher = user_create(actor=None, email="bench@bench.example", member=member, role="publisher")
        tool = tool_register(actor=publisher, name="Bench Tool", manufacturer="Bench Imaging Ltd",
                             clinical_area="radiology")
        authorization_record(actor=publisher, tool=tool, jurisdiction="GB", reference="BENCH-1",
                             date=date(2025, 1, 1))
        drafts = [
            alert_draft_create(actor=publisher, data={
                "title": f"Bench alert {i}", "summary": "Sensitivity fell after a firmware update. " * 20,
                "alert_type": "performance_degradation", "severity": "high",
                "affected_tools": [{"tool": tool.pk, "versions": ">=2.0"}], "affected_jurisdictions": ["GB", "US"],
                "distribution": "network",
            })
            for i in range(2 * args.alerts + 6)
        ]
        signing_step = alert_services.revision_sign
        timings: dict[bool, list[float]] = {True: [], False: []}
        for index, draft in enumerate(drafts):
            signed = index % 2 == 0
            alert_services.revision_sign = signing_step if signed else (lambda revision, *, publisher: None)  # type: ignore[assignment]
            started = time.perf_counter()
            alert_publish(actor=publisher, alert=draft)
            if index >= 6:  # the first few warm caches and connections
                timings[signed].append((time.perf_counter() - started) * 1000)
        alert_services.revision_sign = signing_step

        revisions = [r for r in AlertRevision.objects.filter(signature__isnull=False)]
        sign_times, crypto_times, verify_times = [], [], []
        active = signing_key_active(member=member)
        keys = KeySet.import_key_set(jwks_render(signing_keys_of(member=member)))
        for revision in revisions:
            payload = revision_signed_payload(revision)
            started = time.perf_counter()
            sign(member=member, payload=payload)
            sign_times.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            jws_sign_detached(key=active, payload=payload)
            crypto_times.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            jws.deserialize_compact(revision.signature["jws"], keys, algorithms=["EdDSA"],
                                    payload=rfc8785.dumps(payload))
            verify_times.append((time.perf_counter() - started) * 1000)

        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
              f"database {connection.vendor}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'':34} | {'median ms':>9} {'p95 ms':>8} | {'x baseline':>10}")
        base = statistics.median(timings[False])
        print(f"{'alert_publish, no signing (base)':34} | {_ms(timings[False])} | {1.0:>10.2f}")
        print(f"{'alert_publish, signed':34} | {_ms(timings[True])} | {statistics.median(timings[True]) / base:>10.2f}")
        print(f"{'signing step alone':34} | {_ms(sign_times)} | {statistics.median(sign_times) / base:>10.3f}")
        print(f"{'  of which with the key in hand':34} | {_ms(crypto_times)} | {statistics.median(crypto_times) / base:>10.3f}")
        print(f"{'offline verification (joserfc)':34} | {_ms(verify_times)} |")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
