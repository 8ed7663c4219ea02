"""Submitting a report: every validation rule answers 400 problem+json naming the field, and writes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from alerts.models import Report, Tool
from tests.alerts.reports.conftest import REPORTS_URL, report_payload, report_url
from tests.factories import Network, tool_make
from tests.helpers import ApiCaller, assert_problem, row_counts


def error_paths(errors: Any, prefix: str = "") -> set[str]:
    """Field paths named by a problem's `errors`: 'metrics[0].value' whether the service or DRF named it."""
    paths: set[str] = set()
    if isinstance(errors, dict):  # DRF keys the errors of a list's items by index: {"metrics": {"0": …}}
        for key, value in errors.items():
            if key == "non_field_errors":
                name = prefix
            elif str(key).isdigit():
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            paths |= error_paths(value, name)
    elif isinstance(errors, list) and errors and all(isinstance(v, str) for v in errors):
        paths.add(prefix)
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            if value:
                paths |= error_paths(value, f"{prefix}[{index}]")
    return paths


def one_metric(**fields: Any) -> dict[str, Any]:
    return {"metrics": [{"metric": "sensitivity", "value": 0.81, **fields}], "subgroups": []}


# (case id, overrides of the Appendix A payload, the field path the problem must name)
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("proportion value above 1", one_metric(value=1.2), "metrics[0].value"),
    ("proportion value below 0", {"metrics": [{"metric": "specificity", "value": -0.1}], "subgroups": []},
     "metrics[0].value"),
    ("proportion ci_high above 1", one_metric(value=0.9, ci_low=0.85, ci_high=1.05), "metrics[0].ci_high"),
    ("proportion ci_low below 0", one_metric(value=0.05, ci_low=-0.01, ci_high=0.1), "metrics[0].ci_low"),
    ("subgroup proportion above 1",
     {"subgroups": [{"label": "age 70+", "metrics": [{"metric": "sensitivity", "value": 1.5}]}]},
     "subgroups[0].metrics[0].value"),
    ("numerator above denominator", one_metric(value=0.5, numerator=120, denominator=100), "metrics[0].numerator"),
    ("numerator without denominator", one_metric(value=0.81, numerator=81), "metrics[0].numerator"),
    ("interval does not contain value", one_metric(value=0.9, ci_low=0.7, ci_high=0.8), "metrics[0].value"),
    ("only ci_low", one_metric(ci_low=0.78), "metrics[0].ci_low"),
    ("only ci_high", one_metric(ci_high=0.84), "metrics[0].ci_low"),
    ("period ends when it starts", {"period_start": "2026-03-01", "period_end": "2026-03-01"}, "period_end"),
    ("period ends before it starts", {"period_start": "2026-06-30", "period_end": "2026-01-01"}, "period_end"),
    ("unknown metric name", {"metrics": [{"metric": "youden_index", "value": 0.5}]}, "metrics[0].metric"),
    ("denominator above sample_size", {"sample_size": 500}, "metrics[0].denominator"),
    ("value inconsistent with counts", one_metric(value=0.9, numerator=81, denominator=100), "metrics[0].value"),
    ("numerator on a non-proportion metric",
     {"metrics": [{"metric": "calibration_slope", "value": 1.1, "numerator": 5, "denominator": 10}], "subgroups": []},
     "metrics[0].numerator"),
    ("duplicate metric",
     {"metrics": [{"metric": "sensitivity", "value": 0.8}, {"metric": "sensitivity", "value": 0.9}], "subgroups": []},
     "metrics[1].metric"),
    ("duplicate metric in a subgroup",
     {"subgroups": [{"label": "age 70+", "metrics": [{"metric": "sensitivity", "value": 0.7},
                                                     {"metric": "sensitivity", "value": 0.72}]}]},
     "subgroups[0].metrics[1].metric"),
    ("duplicate subgroup label (ignoring case)",
     {"subgroups": [{"label": "age 70+", "metrics": [{"metric": "sensitivity", "value": 0.7}]},
                    {"label": "Age 70+ ", "metrics": [{"metric": "sensitivity", "value": 0.72}]}]},
     "subgroups[1].label"),
    ("no metrics", {"metrics": []}, "metrics"),
    ("unknown tool", {"tool": "00000000-0000-4000-8000-000000000000"}, "tool"),
    ("country not ISO 3166-1", {"country": "ZZ"}, "country"),
    ("country of three letters", {"country": "GBR"}, "country"),
    ("restricted without recipients", {"distribution": "restricted", "recipients": []}, "recipients"),
    ("restricted to the publisher alone", {"distribution": "restricted", "recipients": ["MHRA"]}, "recipients"),
    ("restricted to an unknown member", {"distribution": "restricted", "recipients": ["NOPE"]}, "recipients"),
    ("recipients with a network distribution", {"distribution": "network", "recipients": ["FDA"]}, "recipients"),
    ("supersedes an unknown report", {"supersedes": str(uuid.uuid4()), "supersede_reason": "x"}, "supersedes"),
]


def test_each_rule_is_a_problem_naming_the_field_and_writes_nothing(
    network: Network, tool: Tool, callers: Callable[..., ApiCaller], subtests: pytest.Subtests
) -> None:
    mhra = callers("MHRA")
    before = row_counts()
    for case, overrides, field in CASES:
        with subtests.test(case):
            response = mhra.post(REPORTS_URL, report_payload(tool, **overrides))
            body = assert_problem(response, 400, "validation-error")
            assert field in error_paths(body["errors"]), body
            assert field.split("[")[0].split(".")[0] in body["detail"], body["detail"]
            assert row_counts() == before


SUPERSEDE_CASES = [
    ("someone else's report", "supersedes"),
    ("a draft", "supersedes"),
    ("a report on another tool", "supersedes"),
    ("a report already superseded", "supersedes"),
    ("no reason", "supersede_reason"),
]


def test_supersedes_only_a_current_published_report_of_ones_own(
    network: Network, tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller],
    subtests: pytest.Subtests,
) -> None:
    fda_published = make_report("FDA", country="US")
    own_draft = make_report("MHRA", publish=False)
    own_published = make_report("MHRA")
    own_on_other_tool = make_report("MHRA", on=tool_make(actor=network.mhra.publisher))
    corrected = make_report("MHRA")
    make_report("MHRA", supersedes=str(corrected.pk), supersede_reason="Recounted the missed cancers.")
    overrides = {
        "someone else's report": {"supersedes": str(fda_published.pk), "supersede_reason": "Corrected."},
        "a draft": {"supersedes": str(own_draft.pk), "supersede_reason": "Corrected."},
        "a report on another tool": {"supersedes": str(own_on_other_tool.pk), "supersede_reason": "Corrected."},
        "a report already superseded": {"supersedes": str(corrected.pk), "supersede_reason": "Corrected again."},
        "no reason": {"supersedes": str(own_published.pk), "supersede_reason": "  "},
    }
    mhra = callers("MHRA")
    before = row_counts()
    for case, field in SUPERSEDE_CASES:
        with subtests.test(case):
            response = mhra.post(REPORTS_URL, report_payload(tool, **overrides[case]))
            body = assert_problem(response, 400, "validation-error")
            assert field in error_paths(body["errors"]), body
            assert row_counts() == before


def test_the_appendix_example_drafts_then_publishes_once(
    network: Network, tool: Tool, callers: Callable[..., ApiCaller]
) -> None:
    mhra = callers("MHRA")
    created = mhra.post(REPORTS_URL, report_payload(tool))
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft"
    assert body["publisher"] == "MHRA"
    assert body["metrics"][0]["ci_method"] == "reported"
    assert (body["metrics"][0]["ci_low"], body["metrics"][0]["ci_high"]) == (0.78, 0.84)
    assert body["subgroups"][0]["label"] == "age 70+"
    assert body["subgroups"][0]["metrics"][0]["ci_method"] == "wilson"

    assert callers("FDA").get(report_url(body["id"])).status_code == 404  # a draft is the publisher's alone
    published = mhra.post(f"{report_url(body['id'])}publish/")
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == "published"
    assert callers("FDA", "viewer").get(report_url(body["id"])).status_code == 200
    assert_problem(mhra.post(f"{report_url(body['id'])}publish/"), 409)
    assert_problem(mhra.delete(report_url(body["id"])), 409)  # immutable once published


def test_drafting_needs_the_draft_scope_and_publishing_the_publish_scope(
    tool: Tool, callers: Callable[..., ApiCaller], make_report: Callable[..., Report]
) -> None:
    assert_problem(callers("MHRA", "viewer").post(REPORTS_URL, report_payload(tool)), 403)
    draft = make_report("MHRA", publish=False)
    assert_problem(callers("MHRA", "assessor").post(f"{report_url(draft)}publish/"), 403)
    assert callers("MHRA", "assessor").delete(report_url(draft)).status_code == 204
    assert not Report.objects.filter(pk=draft.pk).exists()
