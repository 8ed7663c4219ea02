import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange.models import AuditEntry
from exchange.services.audit import audit_verify
from exchange.services.checkpoints import CheckpointInvalid, checkpoint_verify


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain; exits non-zero and names the first bad entry. With --checkpoint "
        "FILE (the JSON data of one audit.checkpoint event), also fails when any entry up to that checkpoint "
        "was removed or changed, naming the range."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint", metavar="FILE",
            help="JSON of one audit.checkpoint event's data: {entry_id, entry_hash, created_at, jws} ('-' for stdin)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("checkpoint"):
            self._with_checkpoint(options["checkpoint"])
            return
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
            "(keep the signed audit.checkpoint events to detect truncation later)."
        ))

    def _with_checkpoint(self, path: str) -> None:
        import sys

        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot read the checkpoint file {path}: {exc.strerror}.") from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CommandError(f"The checkpoint file {path} is not JSON: {exc}.") from exc
        if isinstance(data, dict) and isinstance(data.get("data"), dict):
            data = data["data"]  # a whole webhook body or feed event: its data is the checkpoint
        try:
            checked, problem = checkpoint_verify(data)
        except CheckpointInvalid as exc:
            raise CommandError(f"Checkpoint not trusted: {exc}.") from exc
        if problem is not None:
            raise CommandError(f"Audit log fails the checkpoint at entry {data['entry_id']}: {problem.range} "
                               f"{problem.reason}.")
        self.stdout.write(self.style.SUCCESS(
            f"Audit log verified against the checkpoint of {data['created_at']}: entries 1–{data['entry_id']} "
            f"are all present and unchanged ({checked} entries in the chain verified)."
        ))
