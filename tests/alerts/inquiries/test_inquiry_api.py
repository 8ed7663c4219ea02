"""`/api/v1/requests/`: asking, answering, following up and closing (SPEC §10.3, Appendix B)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from alerts.models import Alert, Inquiry, Tool
from exchange.models import AuditEntry, Event
from tests.alerts.factories import alert_published_make
from tests.alerts.inquiries.conftest import URL, Callers, ask, asked
from tests.factories import Network
from tests.helpers import assert_problem

READ_KEYS = {"id", "subject", "asker", "to", "question", "due", "confidentiality", "status", "overdue", "answers",
             "messages", "created_at", "closed_at"}
ANSWER_KEYS = {"id", "request", "member", "text", "at", "signature"}


def test_asking_answers_201_with_the_request_as_read(fda_alert: Alert, callers: Callers) -> None:
    response = ask(callers("HC"), {"alert": str(fda_alert.pk)}, ["fda"], confidentiality="addressees")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= READ_KEYS
    assert response["Location"].endswith(f"{URL}{body['id']}/")
    assert body["subject"] == {"kind": "alert", "id": str(fda_alert.pk)}
    assert (body["asker"], body["to"], body["status"], body["overdue"]) == ("HC", ["FDA"], "open", [])
    assert body["due"] == (timezone.now().date() + timedelta(days=14)).isoformat()
    assert (body["answers"], body["messages"], body["closed_at"]) == ([], [], None)
    assert callers("HC").get(response["Location"]).json() == body
    assert AuditEntry.objects.filter(action="request.opened", object_id=body["id"]).count() == 1
    assert Event.objects.filter(type="request.opened", object_id=body["id"]).count() == 1


def test_idempotency_key_replays_the_first_answer(fda_alert: Alert, callers: Callers) -> None:
    body = {"subject": {"alert": str(fda_alert.pk)}, "to": ["FDA"], "question": "Which sites?"}
    first = callers("HC").post(URL, body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = callers("HC").post(URL, body, HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Inquiry.objects.count() == 1


def test_answers_make_it_answered_once_every_addressee_answered(fda_alert: Alert, callers: Callers) -> None:
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA", "MHRA"])
    url = f"{URL}{request['id']}/"

    first = callers("FDA").post(f"{url}answers/", {"text": "Firmware 7.2.0 and 7.2.1."})
    second = callers("FDA").post(f"{url}answers/", {"text": "And 7.2.2 at one site."})
    assert (first.status_code, second.status_code) == (201, 201)
    assert set(first.json()) == ANSWER_KEYS
    assert first.json()["member"] == "FDA"
    assert first.json()["request"] == request["id"]
    assert callers("HC").get(url).json()["status"] == "open"

    callers("MHRA").post(f"{url}answers/", {"text": "Not deployed in GB."})
    read = callers("HC").get(url).json()

    assert read["status"] == "answered"
    assert [(a["member"], a["text"]) for a in read["answers"]] == [
        ("FDA", "Firmware 7.2.0 and 7.2.1."), ("FDA", "And 7.2.2 at one site."), ("MHRA", "Not deployed in GB."),
    ]
    assert Event.objects.filter(type="request.answered", object_id=request["id"]).count() == 3


def test_only_addressees_answer_and_only_the_asker_closes(fda_alert: Alert, callers: Callers) -> None:
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"], confidentiality="audience")
    url = f"{URL}{request['id']}/"

    assert_problem(callers("HC").post(f"{url}answers/", {"text": "Self answer"}), 403, "forbidden")
    assert_problem(callers("MHRA").post(f"{url}answers/", {"text": "Not asked"}), 403, "forbidden")
    assert_problem(callers("FDA").post(f"{url}close/", {"note": "Not mine"}), 403, "forbidden")
    assert_problem(callers("MHRA").post(f"{url}messages/", {"text": "Me too"}), 403, "forbidden")
    assert_problem(callers("HC", "viewer").post(f"{url}close/", {"note": "Viewer"}), 403)


def test_follow_ups_and_close(fda_alert: Alert, callers: Callers) -> None:
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"])
    url = f"{URL}{request['id']}/"

    assert callers("FDA").post(f"{url}messages/", {"text": "Checking with the sites."}).status_code == 201
    assert callers("HC").post(f"{url}messages/", {"text": "Thanks, no hurry."}).status_code == 201
    closed = callers("HC").post(f"{url}close/", {"note": "Settled by the manufacturer's notice."})

    assert closed.status_code == 200, closed.content
    body = closed.json()
    assert (body["status"], body["close_note"]) == ("closed", "Settled by the manufacturer's notice.")
    assert body["closed_at"] is not None
    assert [(m["member"], m["text"]) for m in body["messages"]] == [
        ("FDA", "Checking with the sites."), ("HC", "Thanks, no hurry."),
    ]
    assert_problem(callers("FDA").post(f"{url}answers/", {"text": "Late"}), 409, "conflict")
    assert_problem(callers("FDA").post(f"{url}messages/", {"text": "Late"}), 409, "conflict")
    assert_problem(callers("HC").post(f"{url}close/", {"note": "Again"}), 409, "conflict")
    assert Event.objects.filter(type="request.closed", object_id=request["id"]).count() == 1


def test_lists_by_direction_and_status(fda_alert: Alert, callers: Callers) -> None:
    mine = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"])
    theirs = asked(callers("FDA"), {"alert": str(fda_alert.pk)}, ["HC"])
    callers("HC").post(f"{URL}{theirs['id']}/answers/", {"text": "Yes."})

    def ids(**query: str) -> list[str]:
        response = callers("HC").get(URL, query)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["results"]]

    assert ids() == [theirs["id"], mine["id"]]
    assert ids(direction="asked") == [mine["id"]]
    assert ids(direction="received") == [theirs["id"]]
    assert ids(status="answered") == [theirs["id"]]
    assert ids(direction="asked", status="answered") == []
    assert_problem(callers("HC").get(URL, {"direction": "sideways"}), 400)
    assert_problem(callers("HC").get(URL, {"sort": "due"}), 400)


def test_the_inbox_holds_requests_awaiting_our_answer(fda_alert: Alert, callers: Callers) -> None:
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"])

    inbox = callers("FDA").get("/api/v1/inbox/").json()["results"]
    entry = next(item for item in inbox if item["kind"] == "request")
    assert (entry["id"], entry["publisher"], entry["due"]) == (request["id"], "HC", request["due"])
    assert entry["request"]["question"] == request["question"]
    assert [i for i in callers("HC").get("/api/v1/inbox/").json()["results"] if i["kind"] == "request"] == []

    callers("FDA").post(f"{URL}{request['id']}/answers/", {"text": "Answered."})
    assert [i for i in callers("FDA").get("/api/v1/inbox/").json()["results"] if i["kind"] == "request"] == []


def test_every_subject_kind(network: Network, tool: Tool, callers: Callers) -> None:
    from tests.alerts.reports.conftest import report_make

    report = report_make(by=network.fda, tool=tool)
    for subject in ({"tool": str(tool.pk)}, {"report": str(report.pk)}):
        body = asked(callers("HC"), subject, ["FDA", "MHRA"], confidentiality="audience")
        kind, value = next(iter(subject.items()))
        assert body["subject"] == {"kind": kind, "id": value}


def test_a_draft_alert_cannot_be_asked_about_with_others(network: Network, tool: Tool, callers: Callers) -> None:
    from tests.alerts.factories import alert_draft_make

    draft = alert_draft_make(actor=network.hc.publisher, tools=[tool])
    response = ask(callers("HC"), {"alert": str(draft.pk)}, ["FDA"])

    assert_problem(response, 400)
    assert "FDA" in response.json()["detail"]


def test_restricted_alert_addressees_must_see_it(network: Network, tool: Tool, callers: Callers) -> None:
    alert = alert_published_make(actor=network.fda.publisher, tools=[tool], distribution="restricted",
                                 recipients=["HC"])
    response = ask(callers("HC"), {"alert": str(alert.pk)}, ["FDA", "TGA", "SMC"])

    assert_problem(response, 400)
    body = response.json()
    assert "SMC" in body["detail"]
    assert "TGA" in body["detail"]
    assert "FDA," not in body["detail"]
    assert Inquiry.objects.count() == 0


def test_the_list_costs_the_same_queries_whatever_its_size(network: Network, fda_alert: Alert, tool: Tool,
                                                           callers: Callers) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost(limit: int) -> int:
        caller = callers("HC")
        with CaptureQueriesContext(connection) as queries:
            response = caller.get(URL, {"limit": limit})
        assert response.status_code == 200
        assert len(response.json()["results"]) == limit
        return len(queries)

    for index in range(12):
        request = asked(callers("HC"), {"alert": str(fda_alert.pk)} if index % 2 else {"tool": str(tool.pk)},
                        ["FDA", "MHRA"], question=f"Question {index}")
        callers("FDA").post(f"{URL}{request['id']}/answers/", {"text": f"Answer {index}"})
        callers("HC").post(f"{URL}{request['id']}/messages/", {"text": f"Follow-up {index}"})

    assert cost(2) == cost(12)
