"""Tool versions: registering and withdrawing them, and checking what alerts, authorisations and
reports say about versions against what is registered (SPEC §10.2). The rules themselves are
`alerts.versioning`'s; this module reads the registry and turns a refusal into a 400 that names
the field and lists the tool's known versions."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.models import AlertTool, Tool, ToolVersion
from alerts.selectors import authorizations_current
from alerts.versioning import (
    KnownVersion,
    SpecifierError,
    canonical,
    covers,
    matched,
    order_versions,
    parse_specifier,
    version_text_check,
)
from exchange.errors import Conflict, PermissionRefused, ValidationFailed
from exchange.json_types import JSONObject
from exchange.models import Member, User
from exchange.services.audit import audit_record
from exchange.services.chain import audited_write


def tool_versions(tool: Tool | uuid.UUID | str) -> list[ToolVersion]:
    """Every registered version of the tool (withdrawn ones too), in version order."""
    rows = list(ToolVersion.objects.filter(tool_id=getattr(tool, "pk", tool)))
    order = order_versions(KnownVersion(r.version, r.released_on, (r.created_at, str(r.pk))) for r in rows)
    rank = {version: index for index, version in enumerate(order)}
    return sorted(rows, key=lambda r: rank[r.version])


def known_versions(tool: Tool | uuid.UUID | str) -> list[str]:
    """The versions that count (registered, not withdrawn), in version order."""
    return [row.version for row in tool_versions(tool) if not row.withdrawn]


def known_versions_of(tool_ids: Collection[uuid.UUID | str]) -> dict[str, list[str]]:
    """known_versions for several tools in one query."""
    rows: dict[str, list[ToolVersion]] = {str(t): [] for t in tool_ids}
    for row in ToolVersion.objects.filter(tool_id__in=tool_ids, withdrawn=False):
        rows[str(row.tool_id)].append(row)
    return {
        tool_id: order_versions(KnownVersion(r.version, r.released_on, (r.created_at, str(r.pk))) for r in items)
        for tool_id, items in rows.items()
    }


def version_state(row: ToolVersion) -> JSONObject:
    return {
        "tool": str(row.tool_id), "version": row.version, "released_on": row.released_on,
        "change_summary": row.change_summary, "significant": row.significant, "pccp": row.pccp,
        "withdrawn": row.withdrawn, "withdrawn_reason": row.withdrawn_reason,
    }


def _refuse(field: str, message: str, known: list[str]) -> ValidationFailed:
    listed = ", ".join(known) if known else "none registered"
    return ValidationFailed(f"{field}: {message} (known versions: {listed}).",
                            errors={field: [f"{message}; known versions: {listed}"]}, known_versions=known)


@audited_write
def tool_version_register(
    *, actor: User, tool: Tool, version: str, released_on: date | None = None, change_summary: str = "",
    significant: bool = False, pccp: dict[str, str] | None = None,
) -> ToolVersion:
    try:
        version = version_text_check(version)
    except SpecifierError as exc:
        raise ValidationFailed(f"version: {exc}.", errors={"version": [str(exc)]}) from exc
    existing = canonical(version, [r.version for r in ToolVersion.objects.filter(tool=tool)])
    if existing is not None:
        raise Conflict(f"{tool.name!r} already has version {existing}.", errors={"version": [f"already registered: {existing}"]})
    authorised_by, reference = "", ""
    if pccp:
        authorised_by = (pccp.get("authorised_by") or "").strip().upper()
        reference = (pccp.get("reference") or "").strip()
        if not Member.objects.filter(code=authorised_by).exists():
            raise ValidationFailed(f"pccp.authorised_by: no member {authorised_by!r}.",
                                   errors={"pccp.authorised_by": ["not a member code"]})
    assert actor.member is not None
    row = ToolVersion(
        tool=tool, version=version, released_on=released_on, change_summary=change_summary.strip(),
        significant=significant, pccp_authorised_by=authorised_by, pccp_reference=reference,
        registered_by=actor.member, created_by=actor, created_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:
        raise Conflict(f"{tool.name!r} already has version {version}.", errors={"version": ["already registered"]}) from exc
    audit_record(actor=actor, action="tool_version.registered", object_type="tool_version", object_id=row.pk,
                 after=version_state(row))
    return row


@audited_write
def tool_version_withdraw(*, actor: User, tool_version: ToolVersion, reason: str) -> ToolVersion:
    """A mistaken version is marked withdrawn with a reason by the member that registered it; it is
    never edited or removed."""
    row = ToolVersion.objects.select_for_update(of=("self",)).get(pk=tool_version.pk)
    if not actor.is_staff and actor.member_id != row.registered_by_id:
        raise PermissionRefused("Only the member that registered a version (or network staff) may withdraw it.")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("reason: say why the version is withdrawn.", errors={"reason": ["required"]})
    if row.withdrawn:
        raise Conflict(f"Version {row.version} is already withdrawn.")
    before = version_state(row)
    row.withdrawn, row.withdrawn_reason, row.withdrawn_at = True, reason, timezone.now()
    row.save(update_fields=["withdrawn", "withdrawn_reason", "withdrawn_at"])
    audit_record(actor=actor, action="tool_version.withdrawn", object_type="tool_version", object_id=row.pk,
                 before=before, after=version_state(row))
    return row


# --- what others say about versions ----------------------------------------------------------------


def specifier_check(field: str, text: str, known: list[str]) -> tuple[str, list[str]]:
    """A specifier that is well formed and, where the tool has versions, takes at least one:
    (the text as kept, the registered versions it takes)."""
    try:
        spec = parse_specifier(text)
    except SpecifierError as exc:
        raise _refuse(field, str(exc), known) from exc
    if not known:
        return spec.text, []
    taken = matched(spec, known)
    if not taken:
        raise _refuse(field, f"{spec.text or 'all'} matches no registered version", known)
    return spec.text, taken


def affected_tool_check(
    index: int, tool: Tool, versions: str, fixed_in: str, known: list[str],
) -> tuple[str, str, list[str]]:
    """An alert's affected tool: (versions, fixed_in, affected_versions) or a 400 naming the field."""
    text, taken = specifier_check(f"affected_tools[{index}].versions", versions, known)
    fixed_in = (fixed_in or "").strip()
    if not fixed_in:
        return text, "", taken
    field = f"affected_tools[{index}].fixed_in"
    if known:
        registered = canonical(fixed_in, known)
        if registered is None:
            raise _refuse(field, f"{fixed_in} is not a registered version of {tool.name}", known)
        if registered in taken:
            raise _refuse(field, f"{registered} is one of the affected versions ({text or 'all'})", known)
        return text, registered, taken
    try:
        fixed_in = version_text_check(fixed_in)
    except SpecifierError as exc:
        raise _refuse(field, str(exc), known) from exc
    if parse_specifier(text).matches(fixed_in):
        raise _refuse(field, f"{fixed_in} is one of the affected versions ({text or 'all'})", known)
    return text, fixed_in, taken


def report_version_check(tool: Tool, version: str) -> str:
    """A report's `tool_version`: a registered one where the tool has versions (its registered spelling)."""
    version = (version or "").strip()
    known = known_versions(tool)
    if not known:
        return version
    registered = canonical(version, known)
    if registered is None:
        raise _refuse("tool_version", f"{version} is not a registered version of {tool.name}", known)
    return registered


def authorization_versions_check(tool: Tool, versions: str) -> str:
    """An authorisation's `versions`: empty (all) or a specifier taking a registered version."""
    text, _ = specifier_check("versions", versions, known_versions(tool))
    return text


def jurisdictions_covered(rows: list[AlertTool]) -> tuple[list[str], list[str]]:
    """For an alert's affected-tool rows: (jurisdictions where a current authorisation covers an
    affected version, jurisdictions where the tools are authorised but for none of them).

    The first is the alert's `authorised_in` routing facet (SPEC §10.2); the second are the
    jurisdictions from which an acknowledgement is not requested on account of jurisdiction.
    """
    by_tool = {str(row.tool_id): row for row in rows}
    covered: set[str] = set()
    authorised: set[str] = set()
    for auth in authorizations_current(tool_ids=list(by_tool)).only("tool_id", "jurisdiction", "versions"):
        row = by_tool[str(auth.tool_id)]
        authorised.add(auth.jurisdiction)
        if covers(auth.versions, row.versions, row.affected_versions or []):
            covered.add(auth.jurisdiction)
    return sorted(covered), sorted(authorised - covered)
