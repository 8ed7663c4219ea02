"""What the OpenAPI schema tells integrators about each network operation, keyed by operation id.

Written for someone who has only the schema: what the operation does, who may call it (role and
token scope), what it changes, and which events it records. `config.schema.AutoSchema` reads these
registries; an operation missing from them falls back to its view's `extend_schema` or docstring,
and a test requires every operation to have both a summary and a description.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drf_spectacular.utils import OpenApiExample

ROLES = (
    "Roles are cumulative: viewer (scope `read`) < assessor (`acknowledge`, `draft`) < publisher (`publish`) "
    "< admin (`admin`); a token may carry fewer scopes than its user's role."
)


@dataclass(frozen=True)
class OperationDoc:
    summary: str
    description: str
    examples: list[OpenApiExample] = field(default_factory=list)


def doc(summary: str, description: str, *examples: OpenApiExample) -> OperationDoc:
    return OperationDoc(summary=summary, description=description, examples=list(examples))


def request_example(name: str, value: dict[str, Any], summary: str = "") -> OpenApiExample:
    return OpenApiExample(name, value=value, summary=summary or name, request_only=True)


LIST_NOTE = (
    " Paginated with cursors: follow `next`; `?limit=` sets the page size. A query parameter the list does "
    "not know is refused with `400` (`unknown-query-parameter`) naming it, rather than silently ignored."
)

OPERATIONS: dict[str, OperationDoc] = {
    "api_index": doc(
        "Index of the API",
        "Lists the collections of this API with their URLs, and links to the OpenAPI schema and the "
        "browsable documentation. Readable without credentials; changes nothing. Any other path under `/api/` "
        "that names no resource answers a `404` problem.",
    ),
    "me_retrieve": doc(
        "Who am I",
        "The calling user, its member, its role and the scopes this request may use (a token's scopes "
        "within the user's role). Any authenticated caller. Changes nothing.",
    ),
    "members_list": doc(
        "List the network's members",
        "The regulators in the network with their codes, countries and status. Any member user (`read`). "
        "Members are admitted and suspended by network staff, not through this API." + LIST_NOTE,
    ),
    "members_retrieve": doc(
        "Read one member",
        "One member by its code (e.g. `MHRA`). Any member user (`read`). Changes nothing.",
    ),
    "users_list": doc(
        "List your member's users",
        "The users of the caller's member with their roles. Admins only (`admin`)." + LIST_NOTE,
    ),
    "users_create": doc(
        "Add a user to your member",
        "Creates a user of the caller's member with a role (viewer, assessor, publisher, admin). Admins only "
        "(`admin`). Records an audit entry; answers `201` with `Location`. Accepts `Idempotency-Key`.",
        request_example("A new assessor", {"email": "j.smith@mhra.example", "full_name": "J Smith",
                                           "role": "assessor"}),
    ),
    "users_retrieve": doc(
        "Read one of your member's users",
        "The user's e-mail, name, role and whether it is active. Admins only (`admin`). Changes nothing.",
    ),
    "users_partial_update": doc(
        "Change a user's role or deactivate it",
        "Changes the role, name or active flag of a user of the caller's member. Admins only (`admin`); the "
        "member's last active admin cannot be demoted or deactivated (`409`). Records an audit entry.",
    ),
    "tokens_list": doc(
        "List your member's API tokens",
        "Tokens of the caller's member's users: name, prefix, scopes, expiry, last use and whether revoked "
        "(never the secret). Admins only (`admin`)." + LIST_NOTE,
    ),
    "tokens_create": doc(
        "Issue an API token",
        "Issues a token for a user of the caller's member (the caller by default), with scopes no wider than "
        "that user's role and an optional expiry. The secret (`token`) is in this response only; store it. "
        "Admins only (`admin`). Records an audit entry; answers `201` with `Location`. Accepts `Idempotency-Key`.",
        request_example("A read-only integration token", {"name": "Vigilance system sync", "scopes": ["read"],
                                                          "expires_days": 365}),
    ),
    "tokens_retrieve": doc("Read one API token", "Admins only (`admin`). The secret is never shown again."),
    "tokens_destroy": doc(
        "Revoke an API token",
        "Revokes the token at once: later requests with it answer `401`. The row is kept for the audit "
        "trail. Admins only (`admin`). Records an audit entry.",
    ),
    "subscriptions_list": doc(
        "List your member's subscriptions",
        "What the caller's member hears about (event types and filters) and through which channels "
        "(webhook endpoints, e-mail, the notifications inbox). Any member user (`read`)." + LIST_NOTE,
    ),
    "subscriptions_create": doc(
        "Subscribe to events",
        "Creates a subscription: the event types wanted (empty: all) and filters on alert type, minimum "
        "severity, tools, manufacturers, clinical areas, jurisdictions, publishers, or tools authorised in "
        "your member's country. Every event your member may see that matches is recorded as a notification "
        "and delivered to the listed webhook endpoints and e-mail addresses. Values are normalised (codes "
        "upper-case, names and addresses lower-case, blanks and repeats dropped); a `400` lists every refused "
        "field in `errors`, each message naming the refused value. Admins only (`admin`). Records an "
        "audit entry; answers `201` with `Location`. Accepts `Idempotency-Key`.",
        request_example("High-severity radiology alerts by webhook", {
            "name": "Radiology: high and critical",
            "event_types": ["alert.published", "alert.amended"],
            "min_severity": "high",
            "clinical_areas": ["radiology"],
            "authorised_in_my_jurisdiction": True,
            "webhook_endpoints": ["6f1c1a4e-3b0a-4d8e-9a57-0d6c2f1b9e21"],
        }),
    ),
    "subscriptions_retrieve": doc("Read one subscription", "Any member user (`read`). Changes nothing."),
    "subscriptions_update": doc(
        "Replace a subscription",
        "Replaces every field of a subscription of the caller's member (omitted filters become empty). "
        "Admins only (`admin`). Records an audit entry.",
    ),
    "subscriptions_partial_update": doc(
        "Change a subscription",
        "Changes the given fields only, e.g. `{\"active\": false}` to pause it. Admins only (`admin`). "
        "Records an audit entry.",
    ),
    "subscriptions_destroy": doc(
        "Delete a subscription",
        "Stops matching at once; notifications already recorded stay. Admins only (`admin`). Records an "
        "audit entry.",
    ),
    "webhook_endpoints_list": doc(
        "List your member's webhook endpoints",
        "URLs the network POSTs signed events to, with their state (enabled, disabled after repeated "
        "failures) and signing secret. Admins only (`admin`)." + LIST_NOTE,
    ),
    "webhook_endpoints_create": doc(
        "Register a webhook endpoint",
        "Registers an `https` URL on a public address and generates its signing secret (Standard Webhooks: "
        "`webhook-id`, `webhook-timestamp`, `webhook-signature`). Name it in a subscription to receive events. "
        "Admins only (`admin`). Records an audit entry; answers `201` with `Location`. Accepts `Idempotency-Key`.",
        request_example("An endpoint", {"url": "https://vigilance.example.org/hooks/sax",
                                        "description": "Vigilance case system"}),
    ),
    "webhook_endpoints_retrieve": doc(
        "Read one webhook endpoint",
        "Its URL, state and signing secret. Admins only (`admin`). Changes nothing.",
    ),
    "webhook_endpoints_partial_update": doc(
        "Change or re-enable a webhook endpoint",
        "Changes the URL or description, or sets `enabled: true` to resume an endpoint disabled after "
        "repeated failures. Admins only (`admin`). Records an audit entry.",
    ),
    "webhook_endpoints_destroy": doc(
        "Delete a webhook endpoint",
        "Deletes the endpoint: subscriptions no longer deliver to it. Admins only (`admin`). Records an audit "
        "entry.",
    ),
    "webhook_endpoints_rotate_secret_create": doc(
        "Rotate the signing secret",
        "Generates a new signing secret that signs every delivery from now on; for a short overlap the old "
        "secret signs too, so a receiver can switch without dropping messages. Admins only (`admin`). Records "
        "an audit entry.",
    ),
    "webhook_endpoints_test_create": doc(
        "Send a test ping",
        "Queues a `ping` event to this endpoint only and answers the delivery, whose attempts show the "
        "receiver's answer. A disabled endpoint answers `409`: enable it first. Admins only (`admin`). Records "
        "a delivery, not a network event.",
    ),
    "webhook_endpoints_deliveries_list": doc(
        "List deliveries to one endpoint",
        "Every delivery to this endpoint with its state and attempts (status, duration, truncated response). "
        "Filters: `state`, `channel`, `event`, `created_after`, `created_before`. Admins only (`admin`)."
        + LIST_NOTE,
    ),
    "webhook_endpoints_recover_create": doc(
        "Re-send failed deliveries since a time",
        "After an outage of your receiver: re-sends every failed delivery to this endpoint created at or after "
        "`since` (a time with its zone). Answers how many are being re-sent; a disabled endpoint answers `409`: "
        "enable it first. Admins only (`admin`). Records an audit entry.",
        request_example("Since the outage began", {"since": "2026-03-01T08:00:00Z"}),
    ),
    "deliveries_list": doc(
        "List your member's deliveries",
        "Every message sent to the caller's member (webhooks and e-mails), newest first, with its state and "
        "attempts. Any member user (`read`)." + LIST_NOTE,
    ),
    "deliveries_retrieve": doc("Read one delivery", "With every attempt. Any member user (`read`)."),
    "deliveries_redeliver_create": doc(
        "Send a delivery again",
        "Sends this delivery again at once, with a fresh retry schedule and the same `webhook-id` (so a receiver "
        "can recognise a duplicate). A disabled endpoint answers `409`. Admins only (`admin`). Records an audit "
        "entry.",
    ),
    "notifications_list": doc(
        "List your member's notifications",
        "What the caller's member's subscriptions matched, newest first: one row per matched event, whatever "
        "the channels. Any member user (`read`)." + LIST_NOTE,
    ),
    "notifications_retrieve": doc("Read one notification", "Any member user (`read`). Changes nothing."),
    "members_keys_retrieve": doc(
        "A member's public signing keys (JWKS)",
        "The member's Ed25519 public keys as a JSON Web Key Set, newest first; `retired` keys no longer sign but "
        "still verify older signatures. `NETWORK` names the network's own key, which signs audit checkpoints. "
        "Use them to verify the `signature` of a revision or report offline. Any member user (`read`). Changes "
        "nothing.",
    ),
    "audit_checkpoints_list": doc(
        "List signed audit checkpoints",
        "Checkpoints of the audit log, newest first: each is the id and hash of the newest entry it covers, "
        "signed with the `NETWORK` key. Keep them: a checkpoint proves what the log held up to it, so a later "
        "rewrite of history would no longer match. Any member user (`read`). Changes nothing." + LIST_NOTE,
    ),
    "events_list": doc(
        "Read the event feed",
        "The events the caller's member may see, in ascending `sequence` — the member's own numbering, 1, 2, "
        "3 … without gaps (the same number as `data.sequence` in the webhooks it receives), so a gap always "
        "means a missed event and says nothing about events hidden from you: `?after=<sequence>` continues "
        "where you stopped (`last_sequence`), `?limit=` caps the page, `?type=` keeps one event type. Each "
        "event's `data` carries the object exactly as this API shows it, as webhooks do. Any member user "
        "(`read`). Changes nothing. Unknown query parameters answer `400`.",
    ),
}
