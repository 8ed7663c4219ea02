"""A webhook receiver for the demo (`make demo`), served by the service itself when DEBUG is on.

`seed_demo --webhook-url http://127.0.0.1:$PORT/demo/webhook-receiver/` points MHRA's demo
endpoint here, so that a newcomer sees the whole loop on one machine: an alert is published, the
worker fans it out, signs a Standard Webhooks request and POSTs it here; this view checks the
signature with the endpoint's secret — a request no endpoint's secret signed is refused (401) and
not stored — and keeps the last KEEP messages in a file under the var directory (a bounded file:
older lines are dropped as new ones come); the page (GET) shows a signed-in member only the messages
addressed to its own endpoints. It is a demonstration, not a part of the service: with DEBUG off it
answers 404.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from config.logs import LOGGED_BY_VIEW
from exchange.models import WebhookEndpoint
from exchange.portal.access import Portal, member_view
from exchange.portal.pages import render_page

logger = logging.getLogger("exchange.demo_receiver")

KEEP = 50
MAX_BODY = 64 * 1024


def _log_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-webhooks.jsonl"


def _signed_by(request: HttpRequest, body: str) -> WebhookEndpoint | None:
    """The endpoint (URL matching this receiver) whose secret signed the request, or None."""
    headers = {key: request.headers.get(key, "") for key in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    for endpoint in WebhookEndpoint.objects.filter(url__endswith=request.path).select_related("member"):
        for secret in filter(None, (endpoint.secret, endpoint.previous_secret)):
            try:
                Webhook(secret).verify(body, headers)
            except (WebhookVerificationError, ValueError):
                continue
            return endpoint
    return None


def _entries() -> list[dict[str, Any]]:
    path = _log_file()
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[-KEEP:]:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def _store(entry: dict[str, Any]) -> None:
    """Append, keeping the file to the last KEEP messages (rewritten whole: it is small)."""
    path = _log_file()
    kept = [*_entries()[-(KEEP - 1):], entry]
    temporary = path.with_suffix(".tmp")
    temporary.write_text("".join(json.dumps(item) + "\n" for item in kept), encoding="utf-8")
    temporary.replace(path)


def _received(member_code: str) -> list[dict[str, Any]]:
    """The stored messages addressed to the member's own endpoints, newest first."""
    received = [dict(entry) for entry in reversed(_entries()) if entry.get("member") == member_code]
    for entry in received:  # shown like every other time in the portal, not as ISO text
        try:
            entry["at"] = datetime.fromisoformat(entry["at"])
        except (KeyError, TypeError, ValueError):
            entry["at"] = None
    return received


@csrf_exempt
def demo_webhook_receiver(request: HttpRequest) -> HttpResponse:
    if not settings.DEBUG:
        raise Http404("The demo receiver runs only with DEBUG on.")
    if request.method == "POST":
        if len(request.body) > MAX_BODY:
            return HttpResponse(status=413)
        body = request.body.decode("utf-8", errors="replace")
        endpoint = _signed_by(request, body)
        if endpoint is None:  # nobody's secret signed it: not stored
            return HttpResponse("The signature does not verify.", status=401, content_type="text/plain")
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {}
        entry = {
            "at": timezone.now().isoformat(timespec="seconds"),
            "webhook_id": request.headers.get("webhook-id", "")[:200],
            "type": str(payload.get("type", ""))[:64] if isinstance(payload, dict) else "",
            "member": endpoint.member.code,
            "verified_by": f"{endpoint.member.code} {endpoint.url}",
            "summary": _summary(payload)[:500],
        }
        _store(entry)
        # The delivery's one line in the terminal (instead of the access line): what arrived, for whom.
        logger.info("demo receiver: %s for %s, signature valid: %s", entry["type"] or "message", entry["member"],
                    entry["summary"] or entry["webhook_id"])
        setattr(request, LOGGED_BY_VIEW, True)
        return HttpResponse(status=204)
    return _page(request)  # signed-in members only (member_view sends others to sign in)


def _summary(payload: Any) -> str:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return ""
    parts = [str(data.get(key)) for key in ("reference", "title", "severity") if data.get(key)]
    return " · ".join(parts)


@member_view()
def _page(request: HttpRequest, portal: Portal) -> HttpResponse:
    context = {"received": _received(portal.member.code), "receiver_path": request.path}
    return render_page(request, portal, "exchange/demo_receiver.html", context, section="endpoints")
