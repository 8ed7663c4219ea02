import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange.choices import Role
from exchange.errors import ServiceError
from exchange.services.members import member_get, user_create


class Command(BaseCommand):
    help = "Create a member user: create_member_user EMAIL --member CODE --role ROLE [--password P]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--member", required=True, help="Member code, e.g. MHRA")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", help="Portal password; omit to be asked (or to create an API-only user "
                            "when there is no terminal)")
        parser.add_argument("--full-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options.get("password")
        if password is None and self.stdin_is_tty():
            password = getpass.getpass("Password (empty for an API-only user): ") or None
        try:
            member = member_get(code=options["member"])
            user = user_create(
                actor=None, email=options["email"], member=member, role=options["role"],
                password=password, full_name=options["full_name"],
            )
        except ServiceError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(self.style.SUCCESS(f"Created {user.role} {user.email} of {member.code}."))

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin is not None and sys.stdin.isatty()
