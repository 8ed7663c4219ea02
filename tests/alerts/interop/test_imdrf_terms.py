"""IMDRF adverse-event terminology (SPEC §2, §6): import all or nothing, releases never change, the
`imdrf-terms` collection, and alerts' codes checked against the newest release."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alerts.models import ImdrfRelease, ImdrfTerm, Tool
from tests.alerts.factories import alert_payload, alert_published_make
from tests.alerts.interop.conftest import SAMPLES
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem

CONSOLIDATED = SAMPLES / "sample-consolidated.json"
ANNEX_E = SAMPLES / "sample-annex-e.json"


def _load(path: Path, release: int) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_imdrf_terms", str(path), "--release", str(release), stdout=out)
    return out.getvalue()


def _write(tmp_path: Path, records: Any, name: str = "terms.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(records) if not isinstance(records, str) else records, encoding="utf-8")
    return path


def _snapshot() -> list[tuple[Any, ...]]:
    return list(ImdrfTerm.objects.order_by("release__year", "hierarchy").values_list(
        "release__year", "hierarchy", "code", "term", "definition", "status"))


@pytest.mark.django_db
def test_a_consolidated_and_a_single_annex_file_load_into_one_release() -> None:
    out = _load(CONSOLIDATED, 2025)
    assert "Loaded 31 term(s) of annex(es) A, B, C, D, F, G into IMDRF release 2025 (2 retired)" in out
    out = _load(ANNEX_E, 2025)
    assert "annex(es) E" in out
    release = ImdrfRelease.objects.get(year=2025)
    assert sorted(set(release.terms.values_list("annex", flat=True))) == list("ABCDEFG")
    # "A|A09|A0901|A090101" (consolidated) and "E01|E0101" (single annex) give the same kind of path.
    leaf = release.terms.get(hierarchy="A09>A0901>A090101")
    assert (leaf.code, leaf.term, leaf.parent_code, leaf.level, leaf.status) == (
        "A090101", "False Negative Result", "A0901", 3, "active")
    assert set(leaf.extra) == {"non-IMDRF code", "status description", "primary category", "secondary category"}
    assert release.terms.get(hierarchy="E01>E0101").parent_code == "E01"
    root = release.terms.get(code="A")
    assert (root.hierarchy, root.level, root.term) == ("A", 0, "Medical Device Problem")
    assert sorted(release.terms.filter(code="E0701").values_list("parent_code", flat=True)) == ["E07", "E08"]
    # One code under two parents is two places in the hierarchy.
    assert sorted(release.terms.filter(code="A090103").values_list("parent_code", flat=True)) == ["A0901", "A1102"]
    retired = release.terms.get(code="A1901")
    assert (retired.status, retired.source_status) == ("retired", "Retired (2020)")
    assert release.terms.get(code="E2001").status == "retired"


@pytest.mark.django_db
def test_field_names_are_matched_ignoring_case_and_a_hierarchy_may_be_absent(tmp_path: Path) -> None:
    records = [{"CODE": "g02", "Term": "Battery", "CodeHierarchy": "G|G02"},
               {"Code": "G0201", "TERM": "Cell", "Non-IMDRF Code": "X:1", "STATUS": "Retired (2019)"}]
    _load(_write(tmp_path, records), 2025)
    cell = ImdrfTerm.objects.get(code="G0201")
    assert (cell.hierarchy, cell.parent_code, cell.status, cell.extra) == ("G02>G0201", "G02", "retired",
                                                                           {"Non-IMDRF Code": "X:1"})
    assert ImdrfTerm.objects.get(code="G02").hierarchy == "G02"


@pytest.mark.django_db
def test_a_malformed_file_changes_nothing_and_lists_every_problem(tmp_path: Path) -> None:
    _load(CONSOLIDATED, 2025)
    before = _snapshot()
    bad = [
        {"code": "E01", "term": "Fine term", "codehierarchy": "E01"},
        {"term": "No code at all"},
        {"code": "E0101", "term": ""},
        {"code": "Q99", "term": "Not an annex"},
        {"code": "E0102", "term": "Wrong path", "codehierarchy": "E01 > E0103"},
        {"code": "E01", "term": "Same place again", "codehierarchy": "E01"},
        {"CODE": "E0104", "Term": "Has a NUL \x00 in it", "codeHierarchy": "E01 > E0104"},
        "not an object",
    ]
    with pytest.raises(CommandError) as refused:
        _load(_write(tmp_path, bad), 2026)
    message = str(refused.value)
    assert "nothing was loaded; 7 problem(s)" in message
    for expected in ("record 2: 'code' is missing", "record 3 (E0101): 'term' is missing",
                     "record 4 (Q99): code 'Q99' is not an IMDRF code",
                     "record 5 (E0102): codehierarchy 'E01 > E0103' does not end with the record's code",
                     "record 6 (E01): the same place in the hierarchy (E01) is already given by record 1",
                     "record 7 (E0104): 'term' contains a NUL character", "record 8: must be a JSON object"):
        assert expected in message, expected
    assert _snapshot() == before
    assert not ImdrfRelease.objects.filter(year=2026).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "problem"), [
    ("{not json", "is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
    ('{"code": "A01"}', "must be a JSON array of term records"),
    ("[]", "holds no term records"),
])
def test_a_file_that_is_not_imdrf_json_is_refused(tmp_path: Path, content: str, problem: str) -> None:
    with pytest.raises(CommandError, match=problem):
        _load(_write(tmp_path, content), 2025)
    assert not ImdrfRelease.objects.exists()


@pytest.mark.django_db
def test_a_loaded_annex_never_changes_and_a_later_release_leaves_earlier_ones_alone(tmp_path: Path) -> None:
    _load(CONSOLIDATED, 2025)
    before = _snapshot()
    with pytest.raises(CommandError, match="Annex A of release 2025 is already loaded"):
        _load(CONSOLIDATED, 2025)
    assert _snapshot() == before
    later = json.loads(CONSOLIDATED.read_text())
    for record in later:
        if record["code"] == "A0901":
            record["term"], record["status"] = "Renamed in 2026", "Retired (2026)"
    _load(_write(tmp_path, later), 2026)
    assert [row for row in _snapshot() if row[0] == 2025] == before
    assert ImdrfTerm.objects.get(release__year=2025, code="A0901").term == "Incorrect, Inadequate or Imprecise Result"
    assert ImdrfTerm.objects.get(release__year=2026, code="A0901").status == "retired"


def test_the_imdrf_terms_collection_serves_the_newest_release(network: Network, api: Any, anon: ApiCaller,
                                                                tmp_path: Path) -> None:
    caller = api(network.hc.users["viewer"])
    assert caller.get("/api/v1/imdrf-terms/").json()["results"] == []
    _load(CONSOLIDATED, 2025)
    _load(ANNEX_E, 2025)
    newer = [{"code": "A09", "term": "Output Problem (2026)", "codehierarchy": "A09"}]
    _load(_write(tmp_path, newer), 2026)

    newest = caller.get("/api/v1/imdrf-terms/").json()["results"]
    assert [(t["code"], t["term"], t["release"]) for t in newest] == [("A09", "Output Problem (2026)", 2026)]
    terms = caller.get("/api/v1/imdrf-terms/", {"release": 2025, "limit": 200}).json()["results"]
    assert len(terms) == 44
    first = terms[0]
    assert set(first) >= {"code", "term", "definition", "annex", "hierarchy", "parent", "level", "status", "release"}
    found = caller.get("/api/v1/imdrf-terms/", {"release": 2025, "search": "false negative"}).json()["results"]
    assert [(t["code"], t["hierarchy"], t["parent"]) for t in found] == [("A090101", ["A09", "A0901", "A090101"], "A0901")]
    by_code = caller.get("/api/v1/imdrf-terms/", {"release": 2025, "search": "A0901"}).json()["results"]
    assert {t["code"] for t in by_code} == {"A0901", "A090101", "A090102", "A090103"}
    annex_e = caller.get("/api/v1/imdrf-terms/", {"release": 2025, "annex": "e", "limit": 200}).json()["results"]
    assert {t["annex"] for t in annex_e} == {"E"}
    assert len(annex_e) == 13
    assert {t["status"] for t in annex_e if t["code"].startswith("E20")} == {"retired"}
    assert_problem(caller.get("/api/v1/imdrf-terms/", {"annex": "Z"}), 400)
    assert_problem(caller.get("/api/v1/imdrf-terms/", {"release": "1999"}), 400)
    assert_problem(caller.get("/api/v1/imdrf-terms/", {"release": "soon"}), 400)
    assert anon.get("/api/v1/imdrf-terms/").status_code == 401


def test_alert_codes_must_be_active_codes_of_the_newest_release(network: Network, tool: Tool, api: Any) -> None:
    caller = api(network.mhra.publisher)
    # No release loaded: any well-formed code is accepted.
    assert caller.post("/api/v1/alerts/", alert_payload(tools=[tool], imdrf_codes=["A9999"])).status_code == 201
    _load(CONSOLIDATED, 2025)
    _load(ANNEX_E, 2025)

    for codes, named in [(["A0901", "A9999"], "A9999"), (["A1901"], "A1901"), (["E2001", "E0102"], "E2001")]:
        body = assert_problem(caller.post("/api/v1/alerts/", alert_payload(tools=[tool], imdrf_codes=codes)), 400)
        assert named in body["detail"]
        assert any(named in m for m in body["errors"]["imdrf_codes"])
    assert "retired" in caller.post("/api/v1/alerts/", alert_payload(tools=[tool], imdrf_codes=["A1901"])).json()["detail"]
    created = caller.post("/api/v1/alerts/", alert_payload(tools=[tool], imdrf_codes=["A090103", "E0102"]))
    assert created.status_code == 201
    draft_id = created.json()["id"]
    assert_problem(caller.patch(f"/api/v1/alerts/{draft_id}/", {"imdrf_codes": ["G9999"]}), 400)


def test_an_amendment_keeps_published_codes_but_checks_the_codes_it_adds(network: Network, tool: Tool, api: Any,
                                                                         tmp_path: Path) -> None:
    _load(CONSOLIDATED, 2025)
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], imdrf_codes=["A0901"])
    later = [{"code": "A09", "term": "Output Problem", "codehierarchy": "A09"},
             {"code": "A0901", "term": "Old result term", "codehierarchy": "A09 > A0901", "status": "Retired"},
             {"code": "A0902", "term": "New result term", "codehierarchy": "A09 > A0902"}]
    _load(_write(tmp_path, later), 2026)
    caller = api(network.mhra.publisher)
    etag = caller.get(f"/api/v1/alerts/{alert.pk}/")["ETag"]
    kept = caller.post(f"/api/v1/alerts/{alert.pk}/amend/", {"change_summary": "More codes", "imdrf_codes": ["A0901", "A0902"]},
                       HTTP_IF_MATCH=etag)
    assert kept.status_code == 200, kept.content
    etag = kept["ETag"]
    body = assert_problem(caller.post(f"/api/v1/alerts/{alert.pk}/amend/",
                                      {"change_summary": "Wrong code", "imdrf_codes": ["A0901", "A0902", "A1102"]},
                                      HTTP_IF_MATCH=etag), 400)
    assert "A1102" in body["detail"]
    assert "2026" in body["detail"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_listing_every_problem_on_stderr(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or ""),
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "manage.py", "import_imdrf_terms", *args], cwd=settings.BASE_DIR,
                              env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)

    bad = manage(str(_write(tmp_path, [{"code": "A01"}, {"code": "nope", "term": "x"}])), "--release", "2025")
    assert bad.returncode != 0
    assert "record 1 (A01): 'term' is missing" in bad.stderr
    assert "record 2 (NOPE): code 'NOPE' is not an IMDRF code" in bad.stderr
    assert not ImdrfRelease.objects.exists()
    good = manage(str(ANNEX_E), "--release", "2025")
    assert good.returncode == 0, good.stderr
    assert "Loaded 13 term(s) of annex(es) E into IMDRF release 2025 (2 retired)" in good.stdout
    assert ImdrfTerm.objects.filter(release__year=2025).count() == 13
    assert manage(str(tmp_path / "missing.json"), "--release", "2025").returncode != 0


@pytest.mark.parametrize("param", ["code", "parent", "search", "annex", "release", "status"])
def test_a_nul_in_any_terms_filter_is_a_400_naming_it(network: Network, api: Any, param: str) -> None:
    _load(ANNEX_E, 2025)
    body = assert_problem(api(network.mhra.viewer).get("/api/v1/imdrf-terms/", {param: "E01\x00"}), 400)
    assert param in body["errors"]
