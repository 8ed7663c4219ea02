"""Our webhook signatures are Standard Webhooks signatures: the standardwebhooks package verifies
them, for any body, id and time, with one secret or two (during a rotation)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from exchange.signing import secret_generate, signature_header

SECRETS = [secret_generate() for _ in range(3)]


@given(
    body=st.text(max_size=2000),
    msg_id=st.from_regex(r"msg_[0-9a-f]{32}", fullmatch=True),
    timestamp=st.integers(min_value=1_500_000_000, max_value=2_500_000_000),
    secret=st.sampled_from(SECRETS),
)
def test_the_signature_is_what_standardwebhooks_computes(body: str, msg_id: str, timestamp: int, secret: str) -> None:
    expected = Webhook(secret).sign(msg_id=msg_id, timestamp=datetime.fromtimestamp(timestamp, UTC), data=body)
    assert signature_header(secrets=[secret], msg_id=msg_id, timestamp=timestamp, body=body) == expected
    assert signature_header(secrets=[secret], msg_id=msg_id, timestamp=timestamp, body=body.encode()) == expected


def test_during_a_rotation_either_secret_verifies() -> None:
    old, new = SECRETS[:2]
    body = '{"type":"alert.published","data":{"title":"Überwachung — 検出"}}'
    stamp = int(datetime.now(UTC).timestamp())
    headers = {
        "webhook-id": "msg_0123456789abcdef0123456789abcdef",
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature_header(
            secrets=[new, old], msg_id="msg_0123456789abcdef0123456789abcdef", timestamp=stamp, body=body
        ),
    }
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers) is not None
