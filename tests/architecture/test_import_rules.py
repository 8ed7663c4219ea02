from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.imports import import_cycles, is_interface, violations

ROOT = Path(__file__).resolve().parents[2]


def test_the_code_base_keeps_its_import_rules() -> None:
    found = violations(ROOT)
    assert not found, "import rules broken:\n" + "\n".join(str(v) for v in found)


def test_the_code_base_has_no_import_cycle() -> None:
    cycles = import_cycles(ROOT)
    assert not cycles, "import cycles (imports inside functions count):\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_an_import_cycle_is_found_through_a_function_local_import(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "exchange/services/events.py": "from exchange.queueing import task_named\nfrom exchange.services import fanout\n",
        "exchange/services/fanout.py": "from exchange.services.deliveries.pump import run\n",
        "exchange/services/deliveries/__init__.py": "",
        "exchange/services/deliveries/pump.py": "def run():\n    from exchange.services.events import event_record\n",
        "exchange/queueing.py": "",
        "config/celery.py": "def on_task():\n    from config.health import heartbeat_record\n",
        "config/health.py": "def check():\n    from config.celery import app\n",
    })
    assert import_cycles(root) == [
        ["config.celery", "config.health"],
        ["exchange.services.deliveries.pump", "exchange.services.events", "exchange.services.fanout"],
    ]


def test_modules_that_only_import_downwards_have_no_cycle(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "exchange/tasks.py": "def pump():\n    from exchange.services.fanout import fan_out\n",
        "exchange/services/fanout.py": "from exchange.queueing import task_named\n",
        "exchange/queueing.py": "",
    })
    assert import_cycles(root) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "exchange").mkdir(exist_ok=True)
    return tmp_path


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"alerts/services/alerts.py": "from alerts.api.alert_serializers import AlertSerializer\n"},
         "domain module alerts.services.alerts imports interface alerts.api.alert_serializers"),
        ({"alerts/services/x.py": "def f():\n    from alerts.portal import views\n"},
         "domain module alerts.services.x imports interface alerts.portal"),
        ({"alerts/tasks.py": "import exchange.api.views\n"},
         "domain module alerts.tasks imports interface exchange.api.views"),
        ({"alerts/services/y.py": "from ..api import serializers\n"},
         "domain module alerts.services.y imports interface alerts.api"),
        ({"exchange/selectors.py": "from alerts.models import Alert\n"},
         "exchange imports alerts.models: exchange never imports alerts"),
        ({"exchange/models/subscriptions.py": 'target = "alerts.Alert"\n'},
         "exchange names an alerts model in a string reference"),
        ({"alerts/services/reports.py": "from alerts.tasks import signals_evaluate\n"},
         "service alerts.services.reports imports tasks alerts.tasks: queue through exchange.queueing"),
        ({"exchange/services/fanout.py": "def sweep():\n    from exchange import tasks\n"},
         "service exchange.services.fanout imports tasks exchange.tasks: queue through exchange.queueing"),
    ],
)
def test_a_broken_rule_is_reported(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    found = violations(_tree(tmp_path, files))
    assert [v.message for v in found] == [expected]


def test_interfaces_may_import_the_domain_and_each_other(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "alerts/api/views.py": "from alerts.services.alerts import alert_publish\nfrom alerts.api import serializers\n",
        "alerts/portal/views.py": "from alerts.api.report_import import report_input_validate\n",
        "alerts/services/alerts.py": "from alerts.payloads import alert_payload\nfrom exchange.services import audit\n",
    })
    assert violations(root) == []
    assert is_interface("alerts.api.views")
    assert is_interface("exchange.templatetags.portal")
    assert not is_interface("alerts.services.alerts")
    assert not is_interface("alerts.payloads")
