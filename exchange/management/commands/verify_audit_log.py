from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exchange.models import AuditEntry
from exchange.services.audit import audit_verify


class Command(BaseCommand):
    help = "Check the audit log's hash chain; exits non-zero and names the first bad entry."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, problem = audit_verify()
        if problem is not None:
            raise CommandError(
                f"Audit log chain broken at entry {problem.entry_id}: {problem.reason}. "
                f"{checked} entries before it verified."
            )
        head = AuditEntry.objects.order_by("-id").values_list("id", "hash").first()
        if head is None:
            self.stdout.write(self.style.SUCCESS("Audit log is empty: nothing to verify."))
            return
        self.stdout.write(self.style.SUCCESS(
            f"Audit log verified: {checked} entries, chain intact. Head: entry {head[0]} hash {head[1]} "
            "(record it outside the database to detect truncation later)."
        ))
