"""Every benchmark in bench/ still starts: a refactor that moves what a benchmark imports fails here,
not months later when someone needs the figures (`--help` imports the module and parses its options)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("*.py")))
def test_the_benchmark_starts(script: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True, timeout=120,
        cwd=BENCH.parent, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout
