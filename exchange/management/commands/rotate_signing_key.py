from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange.errors import ServiceError
from exchange.services.provenance import signing_key_rotate, signing_owner


class Command(BaseCommand):
    help = (
        "Give a member (or NETWORK, the network's own checkpoint key) a new signing key. The old key is "
        "retired but stays published at /api/v1/members/CODE/keys/, so that what it signed still verifies."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="Member code, e.g. MHRA, or NETWORK")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            owner = signing_owner(code=options["code"])
            key = signing_key_rotate(actor=None, member=owner)
        except ServiceError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(self.style.SUCCESS(f"New signing key {key.kid} for {options['code'].upper()}; "
                                             "the previous key is retired and stays published."))
