"""Requests addressed to the member reach its people at once by default; a request it sees only by
its audience waits for the digest (SPEC §10.4). Request events are told from the event (no describer yet)."""

from __future__ import annotations

from django.core import mail

from exchange.services.chain import audited_transaction
from exchange.services.digests import digests_send
from exchange.services.events import event_record
from tests.exchange.notify.conftest import fan_out_all, send, subscribe
from tests.exchange.notify.test_digests import digest_due_now, digests_to
from tests.exchange.notify.test_immediate import assert_in_words
from tests.factories import Network

QUESTION = "Which scanner firmware versions were in the audit?"


def test_an_addressed_request_is_immediate_and_an_audience_one_waits_for_the_digest(network: Network) -> None:
    subscribe(network.fda)
    subscribe(network.hc)
    with audited_transaction():
        event_record(type="request.opened", audience_kind="members", audience_codes=["MHRA", "FDA", "HC"],
                     object_type="request", object_id="6a1f0c2e-0000-4000-8000-000000000001", publisher_code="MHRA",
                     payload={"asker": "MHRA", "to": ["FDA"], "question": QUESTION, "confidentiality": "audience"})
    fan_out_all()
    send()

    [fda] = [m for m in mail.outbox if m.to == [network.fda.viewer.email]]
    assert QUESTION in fda.subject
    assert_in_words(fda.subject, fda.body, fda.alternatives[0][0])
    assert [m for m in mail.outbox if m.to == [network.hc.viewer.email]] == []

    digests_send(now=digest_due_now(network.hc.viewer))
    send()
    [digest] = digests_to(network.hc.viewer.email)
    assert QUESTION in digest.body
    assert "== Information requests ==" in digest.body
