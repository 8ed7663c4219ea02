from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange.errors import ServiceError
from exchange.services.members import member_create


class Command(BaseCommand):
    help = "Admit a regulator to the network: create_member CODE --name NAME --country CC"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="Short upper-case code, e.g. MHRA")
        parser.add_argument("--name", required=True, help="Full name of the regulator")
        parser.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 code, or EU")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            member = member_create(actor=None, code=options["code"], name=options["name"], country=options["country"])
        except ServiceError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(self.style.SUCCESS(f"Created member {member.code} ({member.name}, {member.country})."))
