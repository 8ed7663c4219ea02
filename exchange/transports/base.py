"""One interface for every channel: a transport sends one prepared message and says how it went.

Messages are prepared (rendered, signed material gathered) from the database before they are
handed to a transport; transports do only the I/O, so that many sends can run concurrently in
one worker without touching the ORM.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

ERROR_LENGTH = 300


def short_error(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ERROR_LENGTH else text[: ERROR_LENGTH - 1] + "…"


@dataclass(frozen=True)
class Message:
    delivery_id: uuid.UUID
    channel: str
    # Deliveries with the same key share one concurrency limit (one webhook endpoint; e-mail).
    concurrency_key: str


@dataclass(frozen=True)
class Outcome:
    """How one attempt went. `permanent` failures are never retried; `gone` disables the endpoint."""

    started_at: datetime
    ok: bool
    status_code: int | None = None
    duration_ms: int = 0
    error: str = ""
    response_body: str = ""
    retry_after: float | None = None
    permanent: bool = False
    gone: bool = False
