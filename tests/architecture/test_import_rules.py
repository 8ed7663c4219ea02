from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.imports import is_interface, violations

ROOT = Path(__file__).resolve().parents[2]


def test_the_code_base_keeps_its_import_rules() -> None:
    found = violations(ROOT)
    assert not found, "import rules broken:\n" + "\n".join(str(v) for v in found)


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
    ],
)
def test_a_broken_rule_is_reported(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    found = violations(_tree(tmp_path, files))
    assert [v.message for v in found] == [expected]


def test_interfaces_may_import_the_domain_and_each_other(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "alerts/api/views.py": "from alerts.services.alerts import alert_publish\nfrom alerts.api import serializers\n",
        "alerts/portal/views.py": "from alerts.api.report_import import reports_import\n",
        "alerts/services/alerts.py": "from alerts.payloads import alert_payload\nfrom exchange.services import audit\n",
    })
    assert violations(root) == []
    assert is_interface("alerts.api.views")
    assert is_interface("exchange.templatetags.portal")
    assert not is_interface("alerts.services.alerts")
    assert not is_interface("alerts.payloads")
