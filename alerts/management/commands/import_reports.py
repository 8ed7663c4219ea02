from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alerts.api.report_import import report_input_validate
from alerts.services.report_import import reports_import
from exchange.errors import ServiceError
from exchange.services.members import member_get


class Command(BaseCommand):
    help = "Import performance reports from CSV for a member: all or nothing, problems listed by line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file (UTF-8), one row per metric; see docs/reports-csv.md")
        parser.add_argument("--member", required=True, help="Member code the reports are published by")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {path}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text; save it as UTF-8 CSV.") from exc
        try:
            member = member_get(code=options["member"])
            self.stdout.write(f"Reading {path} for {member.code}…")
            created = reports_import(actor=None, member=member, text=text, validate=report_input_validate)
        except ServiceError as exc:
            lines = [exc.detail]
            for where, messages in (exc.errors or {}).items():
                lines += [f"  {where}: {message}" for message in messages]
            raise CommandError("\n".join(lines)) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported {len(created)} report(s) for {member.code}."))
        for report in created:
            self.stdout.write(f"  {report.pk} {report.status} {report.tool.name} {report.period_start}–{report.period_end}")
