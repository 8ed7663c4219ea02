from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from exchange.services.digests import digests_send


class Command(BaseCommand):
    help = (
        "Write every daily digest that is due (each user's digest hour in its own time zone, once per local "
        "day) and the \"and N more\" e-mail of each hour that ended with e-mails held back by "
        "EMAIL_IMMEDIATE_PER_HOUR. The periodic task exchange.digests_send runs the same code; running it twice "
        "sends nothing twice. The e-mails are sent by the delivery workers, or here with --send-now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", metavar="ISO_TIME", help="act as if it were this time (with a UTC offset)")
        parser.add_argument("--send-now", action="store_true",
                            help="also send the due e-mails from this process (no worker needed)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options.get("now"):
            now = parse_datetime(options["now"])
            if now is None or now.tzinfo is None:
                raise CommandError(f"--now {options['now']!r}: give an ISO 8601 time with its offset, e.g. "
                                   "2026-12-04T08:00:00+00:00.")
        run = digests_send(now=now)
        self.stdout.write(f"digests sent: {run.digests}; due but empty (not sent): {run.empty}; "
                          f"'and N more' e-mails: {run.summaries}")
        if options.get("send_now"):
            from exchange.services.deliveries import DeliveryPump

            stats = DeliveryPump(max_seconds=30).run()
            self.stdout.write(f"e-mails sent now: {stats.succeeded} (failed attempts: {stats.failed})")
