"""Each answer is signed by the answering member (SPEC §8): verified offline with joserfc, from the
answer's JSON and the member's JWKS alone; a changed answer or another member's key fails."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import rfc8785
from joserfc import jws
from joserfc.errors import BadSignatureError, InvalidKeyIdError
from joserfc.jwk import KeySet

from alerts.models import Alert
from exchange.models import Event
from tests.alerts.inquiries.conftest import URL, Callers, asked
from tests.helpers import ApiCaller

pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


def verify(reader: ApiCaller, member: str, answer: dict[str, Any]) -> None:
    keys = KeySet.import_key_set(reader.get(f"/api/v1/members/{member}/keys/").json())
    signed = {key: value for key, value in answer.items() if key != "signature"}
    result = jws.deserialize_compact(answer["signature"]["jws"], keys, algorithms=["EdDSA"],
                                     payload=rfc8785.dumps(signed))
    assert result.headers()["kid"] == answer["signature"]["kid"]
    assert result.headers()["alg"] == "EdDSA"


def test_answers_verify_from_the_jwks_alone(fda_alert: Alert, callers: Callers) -> None:
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA", "MHRA"])
    created = callers("FDA").post(f"{URL}{request['id']}/answers/", {"text": "Firmware 7.2.0 — «all» sites."}).json()
    callers("MHRA").post(f"{URL}{request['id']}/answers/", {"text": "Not deployed in GB."})

    read = callers("HC").get(f"{URL}{request['id']}/").json()
    assert read["answers"][0] == created
    for answer in read["answers"]:
        verify(callers("HC"), answer["member"], answer)
    event = Event.objects.filter(type="request.answered").order_by("sequence").last()
    assert event is not None
    for answer in event.payload["answers"]:  # what webhooks deliver verifies too
        verify(callers("HC"), answer["member"], answer)


def test_a_changed_answer_or_another_members_key_fails(fda_alert: Alert, callers: Callers) -> None:
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"])
    answer = callers("FDA").post(f"{URL}{request['id']}/answers/", {"text": "Firmware 7.2.0."}).json()

    tampered = copy.deepcopy(answer)
    tampered["text"] = "Firmware 6.0."
    with pytest.raises(BadSignatureError):
        verify(callers("HC"), "FDA", tampered)
    with pytest.raises(InvalidKeyIdError):  # HC's JWKS holds no key with FDA's kid
        verify(callers("HC"), "HC", answer)
