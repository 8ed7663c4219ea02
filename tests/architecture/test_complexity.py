"""Every function of the project at cyclomatic complexity 20 or less (radon grade C or better).

Migrations and tests are left out. Past ~15 a function becomes named steps (STYLE.md, principle 17).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from radon.complexity import cc_rank, cc_visit
from radon.visitors import Class, Function

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("alerts", "exchange", "config")
LIMIT = 20  # radon's grade C ends here


def _functions(blocks: Iterable[Function | Class]) -> Iterator[Function]:
    """Functions, methods and closures (radon lists methods beside their class already)."""
    for block in blocks:
        if isinstance(block, Function):
            yield block
            yield from _functions(block.closures)


def too_complex(root: Path, limit: int = LIMIT) -> list[str]:
    found: list[str] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for function in _functions(cc_visit(path.read_text(encoding="utf-8"))):
                if function.complexity > limit:
                    where = path.relative_to(root)
                    found.append(f"{where}:{function.lineno} {function.fullname}: {function.complexity} "
                                 f"(grade {cc_rank(function.complexity)})")
    return found


def test_no_function_is_more_complex_than_grade_c() -> None:
    found = too_complex(ROOT)
    assert not found, "split these into named steps (complexity above 20):\n" + "\n".join(found)


def test_a_complex_function_is_reported_with_its_place(tmp_path: Path) -> None:
    branches = "".join(f"    if x == {n}:\n        return {n}\n" for n in range(21))
    module = tmp_path / "alerts" / "services" / "busy.py"
    module.parent.mkdir(parents=True)
    module.write_text(f"def simple(x):\n    return x\n\n\nclass Pump:\n    def run(self, x):\n{branches.replace('    ', '        ')}")
    (tmp_path / "alerts" / "migrations").mkdir()
    (tmp_path / "alerts" / "migrations" / "0001_initial.py").write_text(f"def forwards(x):\n{branches}")

    assert too_complex(tmp_path) == ["alerts/services/busy.py:6 Pump.run: 22 (grade D)"]
