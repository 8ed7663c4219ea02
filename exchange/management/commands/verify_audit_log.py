import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange.models import AuditEntry
from exchange.services.audit import audit_verify
from exchange.services.checkpoints import CheckpointInvalid, checkpoint_verify, network_keys_from_jwks


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


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
        parser.add_argument(
            "--jwks", metavar="FILE",
            help="with --checkpoint: the NETWORK JWKS you kept (GET /api/v1/members/NETWORK/keys/), to verify "
                 "the checkpoint's signature without trusting the keys now in the database",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("checkpoint"):
            self._with_checkpoint(options["checkpoint"], options.get("jwks"))
            return
        if options.get("jwks"):
            raise CommandError("--jwks goes with --checkpoint FILE.")
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

    def _read_json(self, path: str, what: str) -> Any:
        import sys

        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot read the {what} file {path}: {exc.strerror}.") from exc
        try:
            return json.loads(text, parse_constant=_no_constant)
        except RecursionError as exc:
            raise CommandError(f"The {what} file {path} is not JSON this command reads: nested too deeply.") from exc
        except ValueError as exc:  # not JSON, NaN or Infinity, or an integer of thousands of digits
            raise CommandError(f"The {what} file {path} is not JSON: {str(exc).split(';')[0]}.") from exc

    def _with_checkpoint(self, path: str, jwks_path: str | None) -> None:
        data = self._read_json(path, "checkpoint")
        if isinstance(data, dict) and isinstance(data.get("data"), dict):
            data = data["data"]  # a whole webhook body or feed event: its data is the checkpoint
        try:
            keys = network_keys_from_jwks(self._read_json(jwks_path, "JWKS")) if jwks_path else None
            checked, problem = checkpoint_verify(data, keys=keys)
        except CheckpointInvalid as exc:
            raise CommandError(f"Checkpoint not trusted: {exc}.") from exc
        if problem is not None:
            raise CommandError(f"Audit log fails the checkpoint at entry {data['entry_id']}: {problem.range} "
                               f"{problem.reason}.")
        self.stdout.write(self.style.SUCCESS(
            f"Audit log verified against the checkpoint of {data['created_at']}: entries 1–{data['entry_id']} "
            f"are all present and unchanged ({checked} entries in the chain verified)."
        ))
