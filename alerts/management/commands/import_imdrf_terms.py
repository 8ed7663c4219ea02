from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alerts.services.terminology import MAX_PROBLEMS_SHOWN, TerminologyImportFailed, imdrf_release_import


class Command(BaseCommand):
    help = (
        "Load IMDRF adverse-event terminology (IMDRF's JSON: an array of records with code, term, definition, "
        "codehierarchy, status…; consolidated or one annex) into a release. All or nothing; every problem listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="IMDRF terminology JSON file (consolidated, or one annex A–G)")
        parser.add_argument("--release", required=True, type=int, help="The release's year, e.g. 2025")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        try:
            outcome = imdrf_release_import(raw=raw, year=options["release"], source=path.name)
        except TerminologyImportFailed as exc:
            shown = exc.problems[:MAX_PROBLEMS_SHOWN]
            lines = [f"{path}: nothing was loaded; {len(exc.problems)} problem(s):", *(f"  {p}" for p in shown)]
            if len(exc.problems) > len(shown):
                lines.append(f"  … and {len(exc.problems) - len(shown)} more.")
            raise CommandError("\n".join(lines)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Loaded {outcome.created} term(s) of annex(es) {', '.join(outcome.annexes)} into IMDRF release "
            f"{outcome.release.year} ({outcome.retired} retired)."
        ))
