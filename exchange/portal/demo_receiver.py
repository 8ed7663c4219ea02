"""A webhook receiver for the demo (`make demo`), served by the service itself when DEBUG is on.

`seed_demo --webhook-url http://127.0.0.1:$PORT/demo/webhook-receiver/` points MHRA's demo
endpoint here, so that a newcomer sees the whole loop on one machine: an alert is published, the
worker fans it out, signs a Standard Webhooks request and POSTs it here; this view checks the
signature with the endpoint's secret and keeps the last messages in a file under the var
directory; the page (GET, for the endpoint's member) lists them next to the portal's delivery log.
It is a demonstration, not a part of the service: with DEBUG off it answers 404.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from exchange.models import WebhookEndpoint
from exchange.portal.access import Portal, member_view
from exchange.portal.pages import render_page

KEEP = 50
MAX_BODY = 64 * 1024


def _log_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-webhooks.jsonl"


def _verified_by(request: HttpRequest, body: str) -> str:
    """The endpoint whose secret signed the request (URL matching this receiver), or ''."""
    headers = {key: request.headers.get(key, "") for key in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    for endpoint in WebhookEndpoint.objects.filter(url__endswith=request.path).select_related("member"):
        for secret in filter(None, (endpoint.secret, endpoint.previous_secret)):
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            return f"{endpoint.member.code} {endpoint.url}"
    return ""


def _received() -> list[dict[str, Any]]:
    path = _log_file()
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[-KEEP:]
    entries = [json.loads(line) for line in reversed(lines) if line.strip()]
    for entry in entries:  # shown like every other time in the portal, not as ISO text
        try:
            entry["at"] = datetime.fromisoformat(entry["at"])
        except (KeyError, TypeError, ValueError):
            entry["at"] = None
    return entries


@csrf_exempt
def demo_webhook_receiver(request: HttpRequest) -> HttpResponse:
    if not settings.DEBUG:
        raise Http404("The demo receiver runs only with DEBUG on.")
    if request.method == "POST":
        body = request.body[:MAX_BODY].decode("utf-8", errors="replace")
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {}
        entry = {
            "at": timezone.now().isoformat(timespec="seconds"),
            "webhook_id": request.headers.get("webhook-id", ""),
            "type": payload.get("type", "") if isinstance(payload, dict) else "",
            "verified_by": _verified_by(request, body),
            "summary": _summary(payload),
        }
        with _log_file().open("a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")
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
    context = {"received": _received(), "receiver_path": request.path}
    return render_page(request, portal, "exchange/demo_receiver.html", context, section="endpoints")
