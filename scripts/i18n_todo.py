#!/usr/bin/env python3
"""What is left to translate: the strings marked in some sources and missing from the catalogues.

    python scripts/i18n_todo.py alerts/templates/alerts/inbox.html alerts/choices.py   # report
    python scripts/i18n_todo.py --add locale/portal alerts/templates/alerts/           # add empty entries

Lists, per language (fr, es, ja), each marked string of the given files or folders that no catalogue
translates; unmarked text in the given templates too. With --add DIR, appends the missing strings to
DIR/<lang>/LC_MESSAGES/django.po (created if needed) with an empty msgstr, to be filled in.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

import django  # noqa: E402

django.setup()

import polib  # noqa: E402

from tests.i18n.catalogue_check import LANGUAGES, catalogue, marked_strings, template_files, unmarked_text  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", help="files or folders (relative to the repository)")
    parser.add_argument("--add", metavar="DIR", help="append missing strings, untranslated, to DIR/<lang>/LC_MESSAGES/django.po")
    args = parser.parse_args()
    wanted = [str((ROOT / p).resolve().relative_to(ROOT)) for p in args.paths]

    def selected(where: str) -> bool:
        return any(where == w or where.startswith(w.rstrip("/") + "/") or where.split(":")[0] == w for w in wanted)

    for path in template_files():
        rel = str(path.relative_to(ROOT))
        if selected(rel):
            for problem in unmarked_text(path):
                print(f"unmarked  {problem}")
    marked = {(m.context, m.msgid): m for m in marked_strings() if selected(m.where.split(":")[0])}
    for language in LANGUAGES:
        entries = catalogue(language)
        missing = [m for key, m in marked.items()
                   if key not in entries or not (entries[key].msgstr or any(entries[key].msgstr_plural.values()))]
        print(f"{language}: {len(missing)} of {len(marked)} marked strings untranslated")
        for m in missing[:400]:
            print(f"  {m.msgid!r}  ({m.where})")
        if args.add and missing:
            po_path = ROOT / args.add / language / "LC_MESSAGES" / "django.po"
            po_path.parent.mkdir(parents=True, exist_ok=True)
            po = polib.pofile(str(po_path)) if po_path.exists() else polib.POFile()
            po.metadata = po.metadata or {"Content-Type": "text/plain; charset=UTF-8", "Language": language}
            have = {(e.msgctxt or "", e.msgid) for e in po}
            for m in missing:
                if (m.context, m.msgid) not in have:
                    po.append(polib.POEntry(msgid=m.msgid, msgstr="", msgctxt=m.context or None,
                                            occurrences=[(m.where.split(":")[0], "")]))
            po.save(str(po_path))
            print(f"  → {po_path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
