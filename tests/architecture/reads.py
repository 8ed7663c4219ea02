"""Reads live in selectors; services write (docs/architecture.md, "Layers and import rules").

A cheap reading of the source, not a proof: a module under `*/services/` that queries the database
(`.objects`, `.filter(…)`, `.values(…)`, `.annotate(…)`, …) and never writes (no ORM write, no raw
statement, no transaction, no queued task, no mail) is a read, and belongs in a selectors module
(`alerts/selectors.py`, `alerts/*_selectors.py`, `exchange/selectors.py`). A read function added
beside writes in a service module is not seen; a whole read module moved back into services is.
"""

from __future__ import annotations

import ast
from pathlib import Path

APPS = ("alerts", "exchange")

# Called as methods: the ORM's writes (querysets, managers, related managers), a cursor's statements,
# the delivery store's counters, Celery's after-commit queueing, a transport's send.
WRITE_METHODS = frozenset({
    "save", "create", "bulk_create", "bulk_update", "update", "delete", "get_or_create",
    "update_or_create", "select_for_update", "add", "set", "remove", "clear",
    "execute", "executemany", "copy_expert", "counters_add", "delay_on_commit", "send",
})
# Called by name or as a method: a transaction, queueing by task name, mail, and the delivery store's
# claims, releases and records (exchange/services/deliveries/claims.py, recording.py: the pump's writes).
WRITE_CALLS = frozenset({
    "atomic", "task_named", "TasksOf", "send_mail",
    "deliveries_claim", "deliveries_adopt", "deliveries_release", "deliveries_record",
})
# Called as methods: what a query does (dict.get and the like are not counted).
READ_METHODS = frozenset({
    "filter", "exclude", "values", "values_list", "annotate", "aggregate", "raw", "iterator",
    "exists", "count", "only", "defer", "select_related", "prefetch_related",
})

# Service modules that read and write nothing themselves, each a rule a write applies. Adding one
# here needs the same kind of reason; a read that a page, the API or a report asks for goes to selectors.
RULES_OF_WRITES = {
    "alerts/services/distribution.py": "resolves and checks the recipients a publication is given",
    "alerts/services/facets.py": "the routing facets computed while an event is recorded",
    "exchange/services/deliveries/leases.py": "the delivery store's types and its 'open and unleased' rule",
    "exchange/services/subscription_rules.py": "checks what a subscription may say before it is written",
}


def _called(node: ast.Call) -> tuple[str | None, bool]:
    """The called name and whether it is called as a method (`x.name(…)`)."""
    if isinstance(node.func, ast.Attribute):
        return node.func.attr, True
    if isinstance(node.func, ast.Name):
        return node.func.id, False
    return None, False


def reads_and_writes(source: str) -> tuple[bool, bool]:
    """(queries the database, writes something) for one module's source."""
    reads = writes = False
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            reads = True
        if isinstance(node, ast.Call):
            name, method = _called(node)
            writes = writes or name in WRITE_CALLS or (method and name in WRITE_METHODS)
            reads = reads or (method and name in READ_METHODS)
    return reads, writes


def reads_in_services(root: Path, allowed: dict[str, str] = RULES_OF_WRITES) -> list[str]:
    """The service modules (relative paths) that query the database and write nothing."""
    found: list[str] = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            where = path.relative_to(root)
            if "services" not in where.parts[1:-1] or "migrations" in where.parts:
                continue
            reads, writes = reads_and_writes(path.read_text(encoding="utf-8"))
            if reads and not writes and where.as_posix() not in allowed:
                found.append(where.as_posix())
    return found
