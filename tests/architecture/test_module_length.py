"""No Python module over 400 lines in config/, alerts/, exchange/, bench/ or tests/ (docs/architecture.md).

A longer module is split along a seam that names something (a step, an area, a side). Migrations are
generated and the demo's data (alerts/demo/data.py) is data, not logic: both are left out.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("config", "alerts", "exchange", "bench", "tests")
LIMIT = 400
DATA = frozenset({"alerts/demo/data.py"})


def too_long(root: Path, limit: int = LIMIT) -> list[str]:
    found: list[str] = []
    for package in PACKAGES:
        if not (root / package).is_dir():
            continue
        for path in sorted((root / package).rglob("*.py")):
            where = path.relative_to(root).as_posix()
            if "migrations" in path.parts or where in DATA:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > limit:
                found.append(f"{where}: {lines} lines")
    return found


def test_no_module_is_longer_than_400_lines() -> None:
    found = too_long(ROOT)
    assert not found, f"split these along a seam that names something (over {LIMIT} lines):\n" + "\n".join(found)


def test_the_data_module_left_out_still_exists() -> None:
    missing = sorted(path for path in DATA if not (ROOT / path).exists())
    assert not missing, f"remove from DATA: {missing}"


def test_a_long_module_is_reported_with_its_length(tmp_path: Path) -> None:
    def write(name: str, lines: int) -> None:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"x_{n} = {n}\n" for n in range(lines)), encoding="utf-8")

    write("exchange/services/deliveries/pump.py", 401)
    write("bench/volumelib/build.py", 569)
    write("tests/alerts/test_reviews.py", 400)  # at the limit: allowed
    write("config/settings.py", 12)
    write("alerts/migrations/0001_initial.py", 900)
    write("alerts/demo/data.py", 900)
    write("alerts/demo/network.py", 401)  # the demo's other modules are code: counted

    assert too_long(tmp_path) == [
        "alerts/demo/network.py: 401 lines",
        "exchange/services/deliveries/pump.py: 401 lines",
        "bench/volumelib/build.py: 569 lines",
    ]
