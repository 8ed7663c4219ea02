"""CSV import of reports (`manage.py import_reports`, POST /api/v1/reports/import/): all or nothing, by line."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from alerts.models import Report, Tool
from exchange.models import AuditEntry, Event
from tests.factories import Network, tool_make
from tests.helpers import ApiCaller, assert_problem, row_counts

IMPORT_URL = "/api/v1/reports/import/"
COLUMNS = ("report", "tool", "tool_version", "period_start", "period_end", "setting", "country", "population",
           "sample_size", "method", "data_source", "distribution", "recipients", "subgroup", "subgroup_dimension",
           "metric", "value", "ci_low", "ci_high", "numerator", "denominator", "status")


def csv_text(rows: list[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def head(key: str, tool: Tool, /, **extra: Any) -> dict[str, Any]:
    """The report-level columns of a report's first row."""
    return {"report": key, "tool": str(tool.pk), "tool_version": "2.1", "period_start": "2026-01-01",
            "period_end": "2026-06-30", "setting": "Breast screening programme", "country": "GB",
            "population": "Women 50–71", "sample_size": 12000, "method": "Audit against double reading",
            "data_source": "Screening audit database", "distribution": "network", **extra}


def good_rows(tool: Tool) -> list[dict[str, Any]]:
    """Two reports: r1 with two metrics and a subgroup, r2 restricted to FDA and HC."""
    return [
        {**head("r1", tool), "metric": "sensitivity", "value": "0.81", "numerator": 810, "denominator": 1000},
        {"report": "r1", "metric": "specificity", "value": "0.95", "ci_low": "0.94", "ci_high": "0.96"},
        {"report": "r1", "subgroup": "age 70+", "subgroup_dimension": "age band", "metric": "sensitivity",
         "value": "0.71", "numerator": 71, "denominator": 100},
        {**head("r2", tool, tool_version="2.2", period_start="2026-07-01", period_end="2026-12-31",
                sample_size=500, distribution="restricted", recipients="FDA; HC"),
         "metric": "sensitivity", "value": "0.8", "numerator": 400, "denominator": 500},
    ]


def bad_rows(tool: Tool) -> list[dict[str, Any]]:
    """One problem on each of lines 3 to 9 (line 1 is the header); r6 alone is fine."""
    unknown_tool = "00000000-0000-4000-8000-000000000000"
    return [
        {**head("r1", tool), "metric": "sensitivity", "value": "0.81", "numerator": 810, "denominator": 1000},  # 2
        {"report": "r1", "metric": "youden_index", "value": "0.6"},  # 3: unknown metric
        {**head("r2", tool), "metric": "sensitivity", "value": "1.4"},  # 4: proportion above 1
        {**head("r3", tool, tool=unknown_tool), "metric": "sensitivity", "value": "0.8"},  # 5: unknown tool
        {**head("r4", tool, period_end="2025-12-31"), "metric": "sensitivity", "value": "0.8"},  # 6: period
        {"report": "r4", "country": "US", "metric": "specificity", "value": "0.9"},  # 7: differs from line 6
        {**head("r5", tool), "metric": "sensitivity", "value": "0.8"},  # 8
        {"report": "r5", "metric": "specificity", "value": "0.9", "numerator": 120, "denominator": 100},  # 9
        {**head("r6", tool), "metric": "sensitivity", "value": "0.8"},  # 10: fine on its own
    ]


EXPECTED_BAD_LINES = {
    "line 3": "metric",
    "line 4": "value",
    "line 5": "tool",
    "line 6": "period_end",
    "line 7": "country",
    "line 9": "numerator",
}


def nothing_written_since(before: dict[str, int]) -> None:
    after = row_counts()
    for label in ("alerts.Report", "alerts.ReportMetric", "exchange.AuditEntry", "exchange.Event"):
        assert after[label] == before[label], label
    assert after == before


def assert_imported(ids: list[str]) -> None:
    reports = {r.tool_version: r for r in Report.objects.filter(pk__in=ids).prefetch_related("metrics__subgroup")}
    assert len(reports) == 2
    r1, r2 = reports["2.1"], reports["2.2"]
    assert (r1.status, r2.status) == ("published", "published")
    whole = {m.metric: m for m in r1.metrics.all() if m.subgroup is None}
    assert set(whole) == {"sensitivity", "specificity"}
    assert whole["sensitivity"].ci_method == "wilson"
    assert (whole["specificity"].ci_method, whole["specificity"].ci_low) == ("reported", 0.94)
    [subgroup] = [m for m in r1.metrics.all() if m.subgroup is not None]
    assert (subgroup.subgroup.label, subgroup.subgroup.dimension, subgroup.numerator) == ("age 70+", "age band", 71)
    assert r2.distribution == "restricted"
    assert sorted(r2.recipient_rows.values_list("member__code", flat=True)) == ["FDA", "HC"]
    assert Event.objects.filter(type="report.published", object_id__in=[str(r.pk) for r in (r1, r2)]).count() == 2


@pytest.fixture
def csv_file(tmp_path: Path) -> Callable[[str | bytes], Path]:
    def write(content: str | bytes) -> Path:
        path = tmp_path / "reports.csv"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


# --- the management command ----------------------------------------------------------------------


def test_the_command_imports_a_good_file(
    network: Network, tool: Tool, csv_file: Callable[[str | bytes], Path]
) -> None:
    out = io.StringIO()
    call_command("import_reports", str(csv_file(csv_text(good_rows(tool)))), "--member", "MHRA", stdout=out)
    assert "Imported 2 report(s) for MHRA." in out.getvalue()
    ids = list(Report.objects.filter(publisher__code="MHRA").values_list("pk", flat=True))
    assert_imported([str(pk) for pk in ids])
    assert all(str(pk) in out.getvalue() for pk in ids)


def test_the_command_refuses_a_bad_file_listing_every_line_and_writes_nothing(
    network: Network, tool: Tool, csv_file: Callable[[str | bytes], Path]
) -> None:
    text = csv_text(bad_rows(tool)) + ",".join(["r7", *[""] * (len(COLUMNS) - 1), "one too many"]) + "\n"
    before = row_counts()
    with pytest.raises(CommandError) as caught:
        call_command("import_reports", str(csv_file(text)), "--member", "MHRA", stdout=io.StringIO())
    message = str(caught.value)
    assert "nothing was imported" in message
    for line, field in {**EXPECTED_BAD_LINES, "line 11": "more values than columns"}.items():
        assert f"  {line}: " in message, (line, message)
        assert field in message.split(f"  {line}: ", 1)[1].splitlines()[0], (line, message)
    assert "line 2:" not in message
    assert "line 10:" not in message
    nothing_written_since(before)


def test_the_command_reports_a_file_that_is_not_utf8(
    network: Network, tool: Tool, csv_file: Callable[[str | bytes], Path]
) -> None:
    text = csv_text(good_rows(tool)).replace("Women 50–71", "Femmes de 50 à 71 ans")
    before = row_counts()
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_reports", str(csv_file(text.encode("latin-1"))), "--member", "MHRA")
    nothing_written_since(before)


def test_the_command_names_a_missing_file_and_an_unknown_member(
    network: Network, tool: Tool, tmp_path: Path, csv_file: Callable[[str | bytes], Path]
) -> None:
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_reports", str(tmp_path / "missing.csv"), "--member", "MHRA")
    with pytest.raises(CommandError, match="NOPE"):
        call_command("import_reports", str(csv_file(csv_text(good_rows(tool)))), "--member", "NOPE")
    assert not Report.objects.exists()


# --- the API ------------------------------------------------------------------------------------


def test_posting_csv_imports_and_publishes(tool: Tool, callers: Callable[..., ApiCaller]) -> None:
    response = callers("MHRA").post(IMPORT_URL, csv_text(good_rows(tool)), content_type="text/csv")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["created"], body["published"], len(body["reports"])) == (2, 2, 2)
    assert_imported(body["reports"])
    assert {r["id"] for r in callers("FDA", "viewer").get("/api/v1/reports/").json()["results"]} == set(body["reports"])
    assert {r["id"] for r in callers("TGA", "viewer").get("/api/v1/reports/").json()["results"]} == {
        next(pk for pk in body["reports"] if Report.objects.get(pk=pk).distribution == "network")
    }


def test_a_multipart_upload_imports_too(tool: Tool, callers: Callable[..., ApiCaller]) -> None:
    upload = SimpleUploadedFile("reports.csv", csv_text(good_rows(tool)).encode("utf-8"), content_type="text/csv")
    response = callers("MHRA").post(IMPORT_URL, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert_imported(response.json()["reports"])


def test_a_byte_order_mark_and_draft_rows_are_understood(tool: Tool, callers: Callable[..., ApiCaller]) -> None:
    rows = good_rows(tool)
    rows[3]["status"] = "draft"
    response = callers("MHRA").post(IMPORT_URL, "\ufeff" + csv_text(rows), content_type="text/csv")
    assert response.status_code == 201, response.json()
    assert (response.json()["created"], response.json()["published"]) == (2, 1)
    assert sorted(Report.objects.values_list("status", flat=True)) == ["draft", "published"]


def test_posting_a_bad_file_lists_every_problem_by_line_and_writes_nothing(
    tool: Tool, callers: Callable[..., ApiCaller]
) -> None:
    mhra = callers("MHRA")
    before = row_counts()
    audits, events = AuditEntry.objects.count(), Event.objects.count()
    body = assert_problem(mhra.post(IMPORT_URL, csv_text(bad_rows(tool)), content_type="text/csv"), 400,
                          "import-failed")
    assert set(body["errors"]) == set(EXPECTED_BAD_LINES)
    for line, field in EXPECTED_BAD_LINES.items():
        assert any(field in message for message in body["errors"][line]), (line, body["errors"][line])
    assert body["detail"].startswith("6 problem(s); nothing was imported. First: line 3:")
    assert (Report.objects.count(), AuditEntry.objects.count(), Event.objects.count()) == (0, audits, events)
    nothing_written_since(before)


@pytest.mark.parametrize(
    ("bad", "path"),
    [({"metric": "nope"}, "subgroups[0].metrics[1].metric"), ({"value": "1.3"}, "subgroups[0].metrics[1].value")],
    ids=["caught by the serializer", "caught by the service"],
)
def test_a_problem_in_a_subgroup_row_is_reported_on_that_row(
    tool: Tool, callers: Callable[..., ApiCaller], bad: dict[str, str], path: str
) -> None:
    rows = [
        {**head("r1", tool), "metric": "sensitivity", "value": "0.81", "numerator": 810, "denominator": 1000},
        {"report": "r1", "subgroup": "age 70+", "metric": "sensitivity", "value": "0.71"},
        {"report": "r1", "subgroup": "age 70+", "metric": "specificity", "value": "0.9", **bad},
    ]
    body = assert_problem(callers("MHRA").post(IMPORT_URL, csv_text(rows), content_type="text/csv"), 400)
    assert list(body["errors"]) == ["line 4"]
    assert body["errors"]["line 4"][0].startswith(f"{path}: ")


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (tuple(c for c in COLUMNS if c not in ("value", "country")), "missing column(s) country, value"),
        ((*COLUMNS, "colour"), "unknown column(s) colour"),
    ],
    ids=["missing", "unknown"],
)
def test_missing_or_unknown_columns_are_a_line_1_problem(
    tool: Tool, callers: Callable[..., ApiCaller], columns: tuple[str, ...], expected: str
) -> None:
    rows = [{k: v for k, v in row.items() if k in columns} for row in good_rows(tool)]
    mhra = callers("MHRA")
    before = row_counts()
    body = assert_problem(mhra.post(IMPORT_URL, csv_text(rows, columns), content_type="text/csv"), 400)
    assert list(body["errors"]) == ["line 1"]
    assert body["errors"]["line 1"] == [expected]
    nothing_written_since(before)


def test_a_file_without_rows_is_refused(callers: Callable[..., ApiCaller]) -> None:
    body = assert_problem(callers("MHRA").post(IMPORT_URL, ",".join(COLUMNS) + "\n", content_type="text/csv"), 400)
    assert "no report rows" in body["detail"]


@pytest.mark.parametrize("as_multipart", [False, True], ids=["text/csv", "multipart"])
def test_a_file_that_is_not_utf8_is_a_clear_error(
    tool: Tool, callers: Callable[..., ApiCaller], as_multipart: bool
) -> None:
    data = csv_text(good_rows(tool)).replace("Women 50–71", "Femmes de 50 à 71 ans").encode("latin-1")
    mhra = callers("MHRA")
    before = row_counts()
    if as_multipart:
        response = mhra.post(IMPORT_URL, {"file": SimpleUploadedFile("r.csv", data)}, format="multipart")
    else:
        response = mhra.post(IMPORT_URL, data, content_type="text/csv")
    body = assert_problem(response, 400)
    assert "UTF-8" in body["detail"]
    nothing_written_since(before)


def test_a_multipart_request_without_a_file_is_a_clear_error(callers: Callable[..., ApiCaller]) -> None:
    body = assert_problem(callers("MHRA").post(IMPORT_URL, {"other": "x"}, format="multipart"), 400)
    assert "file" in body["detail"]


@pytest.mark.parametrize("role", ["assessor", "viewer"])
def test_importing_needs_the_publish_scope(tool: Tool, callers: Callable[..., ApiCaller], role: str) -> None:
    caller = callers("MHRA", role)
    before = row_counts()
    assert_problem(caller.post(IMPORT_URL, csv_text(good_rows(tool)), content_type="text/csv"), 403)
    nothing_written_since(before)


def test_importing_needs_credentials(tool: Tool, anon: ApiCaller) -> None:
    response = anon.post(IMPORT_URL, csv_text(good_rows(tool)), content_type="text/csv")
    assert_problem(response, 401)
    assert not Report.objects.exists()


def test_a_urlencoded_form_is_an_unsupported_media_type(callers: Callable[..., ApiCaller]) -> None:
    mhra = callers("MHRA")
    response = mhra.post(IMPORT_URL, "file=x", content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415)


def test_the_documented_example_imports(network: Network, callers: Callable[..., ApiCaller]) -> None:
    """docs/reports-csv.md's example, with its fictional tool registered, imports as described."""
    docs = (Path(settings.BASE_DIR) / "docs" / "reports-csv.md").read_text(encoding="utf-8")
    example = re.search(r"```csv\n(.*?)```", docs, re.DOTALL)
    assert example is not None
    tool = tool_make(actor=network.mhra.publisher, name="RetinaCheck DR", manufacturer="Lumen Ocular Systems",
                     clinical_area="ophthalmology", intended_purpose="Grades diabetic retinopathy on fundus photographs")
    text = example.group(1).replace("3f5b1c2a-9d4e-4f6a-8b7c-1e2d3c4b5a69", str(tool.pk))
    response = callers("MHRA").post(IMPORT_URL, text, content_type="text/csv")
    assert response.status_code == 201, response.json()
    assert (response.json()["created"], response.json()["published"]) == (2, 2)
    restricted = Report.objects.get(setting="Hospital retinal clinic")
    assert sorted(restricted.recipient_rows.values_list("member__code", flat=True)) == ["FDA", "HC"]
    whole = Report.objects.get(setting="Diabetic eye screening programme")
    assert whole.subgroups.get().label == "age 70+"
