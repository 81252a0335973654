"""The coverage of a contract run: counted from the exchanges the engine recorded, equal to Schemathesis' own
case count and to the requests the server received; written as coverage.json and report.html; `--min-coverage`."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from contracts.results import ExitCode, RunResult
from contracts.summary import summary_lines
from contracts.testing import run_contract
from tests.reference_impl import serve
from tests.reference_impl.harness import TOKEN, run_against

# Sift's three operations keep the run short; every one of its paths starts here (probes go to the root).
SIFT_PATHS = "/api/v1/jobs"
EXTERNAL = re.compile(r"""(src|href)=["'](?!data:|#|\?)""")
TESTED = re.compile(
    r"Tested: \d+/\d+ operations exercised, (?P<requests>[\d,]+) requests sent; answers: (?P<answers>.*)\."
)


@dataclass(frozen=True)
class Run:
    result: RunResult
    received: int  # requests the server received for the API's operations
    report_dir: Path


@pytest.fixture(scope="module")
def sift_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    report_dir = tmp_path_factory.mktemp("report")
    with serve(token=TOKEN) as server:
        result = run_contract("sift", server.url_for("sift"), token=TOKEN, max_time=10, seed=19, report_dir=report_dir)
        received = sum(path.startswith(SIFT_PATHS) for _method, path in server.requests_seen)
    assert result.exit_code is ExitCode.CONFORMS, "\n".join(summary_lines(result))
    return Run(result, received, report_dir)


def test_the_counts_equal_schemathesis_cases_and_what_the_server_received(sift_run: Run) -> None:
    result, coverage = sift_run.result, sift_run.result.coverage
    assert coverage is not None
    assert coverage.exchanges == result.cases == sift_run.received
    assert result.cases > 0
    tested = TESTED.search("\n".join(summary_lines(result)))
    assert tested is not None
    assert int(tested["requests"].replace(",", "")) == coverage.exchanges
    by_class: Counter[str] = Counter()
    for row in coverage.rows:
        for cell in row.cells:
            by_class[f"{cell.status // 100}xx"] += cell.count
        for status, count in row.undocumented.items():
            by_class[f"{status // 100}xx"] += count
    assert tested["answers"] == " · ".join(f"{name} {count:,}" for name, count in sorted(by_class.items()) if count)
    per_operation = {row.operation.label: row.exchanges for row in coverage.rows}
    assert per_operation == {operation.label: operation.requests for operation in result.operations}


def test_cases_per_pass_and_phase_add_up_to_the_run(sift_run: Run) -> None:
    passes = sift_run.result.passes
    # Under a loaded machine a later pass may find no time left; the passes that ran come in order.
    names = ["examples+coverage", "stateful", "fuzzing"]
    assert [record.name for record in passes] == names[: len(passes)]
    assert {"examples", "coverage"} <= set(passes[0].phases)
    assert sum(record.cases for record in passes) == sift_run.result.cases
    sent = sum(phase.requests for record in passes for phase in record.phases.values())
    assert sent == sift_run.received


def test_coverage_json_is_the_run_s_coverage(sift_run: Run) -> None:
    document = json.loads((sift_run.report_dir / "coverage.json").read_text(encoding="utf-8"))
    coverage = sift_run.result.coverage
    assert coverage is not None
    assert document["api"] == "sift" and document["seed"] == 19
    assert document["operations"] == coverage.as_json()["operations"]
    assert document["documented_pairs"] == 11  # Sift's spec: 3 + 4 + 4 documented statuses
    assert {op["operation_id"] for op in document["operations"]} == {"listJobs", "cancelJob", "retryJob"}
    list_jobs = next(op for op in document["operations"] if op["operation_id"] == "listJobs")
    assert set(list_jobs["query_parameters"]) >= {"pageSize", "pageToken", "filter", "orderBy"}
    assert sum(list_jobs["query_parameters"].values()) > 0


def test_the_report_page_is_written_with_the_token_redacted(sift_run: Run) -> None:
    page = (sift_run.report_dir / "report.html").read_text(encoding="utf-8")
    assert TOKEN not in page
    assert "[REDACTED]" in page
    assert 'data-operation="cancelJob"' in page and "--seed 19" in page
    assert not EXTERNAL.search(page)  # nothing fetched: it works from file:// and as a CI artifact


def test_min_coverage_fails_the_run_and_names_the_pairs_missed(tmp_path: Path) -> None:
    # The examples phase sends the spec's own examples only: the same pairs every time it has the time to finish
    # (its pass gets a third of --max-time, a ceiling: the pass takes about a second).
    with serve(token=TOKEN) as server:
        below = run_against(
            "sift", server.url_for("sift"), "--phases", "examples", "--max-time", "30", "--min-coverage", "100",
            "--report-dir", str(tmp_path),
        )  # fmt: skip
        coverage = json.loads((tmp_path / "coverage.json").read_text(encoding="utf-8"))
        enough = run_against(
            "sift", server.url_for("sift"), "--phases", "examples", "--max-time", "30",
            "--min-coverage", str(int(coverage["percent"])),
        )  # fmt: skip
    assert below.returncode == 1, below.explain()
    assert coverage["missed"] and coverage["percent"] < 100
    assert f"below --min-coverage 100; never exercised: {', '.join(coverage['missed'])}" in below.stdout
    assert "not tested enough" in below.stdout
    assert enough.returncode == 0, enough.explain()
    assert f"({coverage['percent']} %)" in enough.stdout


def test_min_coverage_outside_0_to_100_is_a_usage_error() -> None:
    run = run_against("sift", "http://127.0.0.1:9", "--min-coverage", "120")
    assert run.returncode == 2
    assert "--min-coverage takes a percentage from 0 to 100, not 120" in run.stderr
