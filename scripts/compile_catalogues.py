#!/usr/bin/env python3
"""Compile every translation catalogue (locale/*/LC_MESSAGES/django.po) into the .mo file Django reads.

Pure Python (polib), so that `make demo`, the Docker image and CI need no GNU gettext tools. A
catalogue is compiled again only when its .po is newer than its .mo. Prints one line per catalogue.

    python scripts/compile_catalogues.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    try:
        import polib
    except ImportError:
        print("compile_catalogues: polib is missing; run scripts/bootstrap.sh (pip install -e .)", file=sys.stderr)
        return 1
    count = 0
    for po_path in sorted(p for p in ROOT.glob("**/locale/**/LC_MESSAGES/*.po") if ".venv" not in p.parts):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        except (OSError, ValueError) as error:
            print(f"compile_catalogues: {po_path.relative_to(ROOT)} does not compile: {error}", file=sys.stderr)
            return 1
        count += 1
        print(f"  compiled {mo_path.relative_to(ROOT)}")
    if count:
        print(f"compile_catalogues: {count} catalogue(s) compiled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
