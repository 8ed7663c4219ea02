from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange.choices import Scope
from exchange.errors import ServiceError
from exchange.models import User
from exchange.services.tokens import token_issue


class Command(BaseCommand):
    help = "Issue an API token for a member user; prints the token alone on stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--scopes", nargs="+", choices=Scope.values, help="Default: all the user's role allows")
        parser.add_argument("--expires-days", type=int, default=None)
        parser.add_argument("--name", default="issued by manage.py issue_token")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.select_related("member").get(email=options["email"].strip().lower())
        except User.DoesNotExist as exc:
            raise CommandError(
                f"No user {options['email']!r}; create one with create_member_user first."
            ) from exc
        try:
            issued = token_issue(
                actor=None, user=user, name=options["name"], scopes=options["scopes"],
                expires_days=options["expires_days"],
            )
        except ServiceError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(issued.value)
