"""What the OpenAPI schema tells integrators about information requests (read by config/schema.py)."""

from __future__ import annotations

from exchange.api.docs import LIST_NOTE, OperationDoc, doc, request_example

VISIBLE = (
    " Visibility: your member sees a request when it can see its subject and either it asked the request, is "
    "one of its addressees, or the request's `confidentiality` is `audience`; anything else answers `404` and "
    "is never counted."
)

OPERATIONS: dict[str, OperationDoc] = {
    "requests_list": doc(
        "List information requests",
        "Requests your member may see, newest first. `?direction=asked` (asked by your member) or `received` "
        "(addressed to it); `?status=open|answered|closed`. Any member user (`read`)." + VISIBLE + LIST_NOTE,
    ),
    "requests_create": doc(
        "Ask other members a question",
        "Asks `to` (member codes) a question about an alert, report, signal or tool your member can see "
        "(`subject`: exactly one of `alert`, `report`, `signal`, `tool`, by id). A subject your member cannot "
        "see answers `404`; an addressee that cannot see it, or an unknown member, `400` naming it. `due` "
        "defaults to 14 days ahead and may not be in the past. `confidentiality`: `addressees` (the asker and "
        "the addressees only, the default) or `audience` (every member who can see the subject). Assessors and "
        "above (`acknowledge`). Records an audit entry and a `request.opened` event; answers `201` with "
        "`Location`. Accepts `Idempotency-Key`.",
        request_example("A question about an alert", {
            "subject": {"alert": "0b6f3c1e-8d4a-4b8e-9f2a-1c3d5e7f9a0b"}, "to": ["FDA"],
            "question": "Which scanner firmware versions were in the audit?", "due": "2026-12-20",
            "confidentiality": "addressees",
        }),
    ),
    "requests_retrieve": doc(
        "Read one information request",
        "The question, its addressees and who is overdue, every answer (each signed by the answering member) "
        "and the follow-ups. Any member user (`read`)." + VISIBLE,
    ),
    "requests_answers_create": doc(
        "Answer a request",
        "An addressee answers (any number of answers). Each answer is signed by the answering member: "
        "`signature.jws` is a compact JWS (EdDSA) with a detached payload, over the RFC 8785 canonical JSON of "
        "the answer as read without `signature`; verify with the JWKS at `/api/v1/members/{code}/keys/`. When "
        "every addressee has answered the request becomes `answered`. A closed request answers `409`; a member "
        "that is not an addressee `403`. Assessors and above (`acknowledge`). Records an audit entry and a "
        "`request.answered` event; answers `201`. Accepts `Idempotency-Key`.",
        request_example("An answer", {"text": "Firmware 7.2.0 and 7.2.1 at all three sites."}),
    ),
    "requests_messages_create": doc(
        "Post a follow-up",
        "The asker or an addressee adds a message to the thread (not signed; no event). A closed request "
        "answers `409`. Assessors and above (`acknowledge`). Answers `201`. Accepts `Idempotency-Key`.",
        request_example("A follow-up", {"text": "Could you share the site breakdown?"}),
    ),
    "requests_close_create": doc(
        "Close a request",
        "The asker closes its request with a closing `note`; no answers or follow-ups after that (`409`). "
        "Assessors and above (`acknowledge`). Records an audit entry and a `request.closed` event; answers the "
        "request.",
        request_example("Close", {"note": "Thank you: that settles our assessment."}),
    ),
}
