from __future__ import annotations

from pathlib import Path

from tests.architecture.reads import RULES_OF_WRITES, reads_in_services

ROOT = Path(__file__).resolve().parents[2]


def test_no_service_module_only_reads() -> None:
    found = reads_in_services(ROOT)
    assert not found, "reads in services (they belong in a selectors module):\n" + "\n".join(found)


def test_every_allowed_rule_module_still_exists() -> None:
    missing = [path for path in RULES_OF_WRITES if not (ROOT / path).exists()]
    assert not missing, f"remove from RULES_OF_WRITES: {missing}"


def test_a_read_module_in_services_is_reported(tmp_path: Path) -> None:
    files = {
        # the network view of acknowledgements as it once lived in services: counts, no write
        "alerts/services/ack_stats.py": (
            "from alerts.models import Acknowledgement\n"
            "def by_member(member):\n"
            "    return Acknowledgement.objects.filter(member=member).values('state').annotate(n=Count('pk'))\n"
        ),
        "alerts/services/acknowledgements.py": (
            "from alerts.models import Acknowledgement\n"
            "def answer(pk, state):\n"
            "    Acknowledgement.objects.filter(pk=pk).update(state=state)\n"
        ),
        "alerts/services/queued.py": "def later(x):\n    task_named('alerts.remind').delay_on_commit(x.filter(a=1).count())\n",
        "alerts/services/pure.py": "def verdict(a, b):\n    return {'a': a}.get('b', b)\n",
        "alerts/ack_stats_selectors.py": "def by_member(qs):\n    return qs.filter(requested=True).count()\n",
        "exchange/services/deliveries/lookup.py": "def due(qs):\n    return qs.exclude(state='done').iterator()\n",
        # reads, and writes through the delivery store (the pump): not a read module
        "exchange/services/deliveries/runner.py": (
            "def run(token, ids):\n"
            "    Event.objects.filter(pk__in=ids)\n"
            "    deliveries_record(token=token, results=[])\n"
        ),
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    assert reads_in_services(tmp_path) == [
        "alerts/services/ack_stats.py",
        "exchange/services/deliveries/lookup.py",
    ]
