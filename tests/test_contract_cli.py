"""`jobs-contract run` as a command: exit codes, one-sentence errors, token redaction, reports, read-only, budget."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import pytest
from reference_impl import Fault, RunningServer, serve
from reference_impl.harness import TOKEN, CompletedRun, jobs_contract, run_against


def _one_sentence_error(run: CompletedRun) -> str:
    assert run.returncode == 2, run.explain()
    assert "Traceback" not in run.stdout + run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.explain()
    return lines[0]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_target_is_exit_2_in_one_sentence() -> None:
    line = _one_sentence_error(jobs_contract("run", "sift", "--url", f"http://127.0.0.1:{_closed_port()}"))
    assert "cannot reach" in line


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["run", "sift"], "--url"),
        (["run", "nowhere", "--url", "http://127.0.0.1:1"], "nowhere"),
        (["run", "sift", "--url", "localhost:4010"], "--url"),
        (["run", "sift", "--url", "http://127.0.0.1:1", "--phases", "fuzzing,guessing"], "--phases"),
        (["run", "sift", "--url", "http://127.0.0.1:1", "--checks", "no_such_check"], "no_such_check"),
        (["run", "sift", "--url", "http://127.0.0.1:1", "--rate-limit", "fast"], "--rate-limit"),
        (["run", "sift", "--url", "http://127.0.0.1:1", "--max-examples", "many"], "--max-examples"),
        (["run", "sift", "--url", "http://127.0.0.1:1", "--max-time", "0"], "--max-time"),
    ],
)
def test_bad_usage_is_exit_2_in_one_sentence(arguments: list[str], named: str) -> None:
    assert named in _one_sentence_error(jobs_contract(*arguments))


@pytest.fixture(scope="module")
def reference() -> Iterator[RunningServer]:
    with serve(token=TOKEN, faults=[Fault.SIFT_RETRY_WRONG_JOB]) as server:
        yield server


@pytest.fixture(scope="module")
def violation_with_reports(
    reference: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CompletedRun, Path]:
    reports = tmp_path_factory.mktemp("reports")
    run = jobs_contract(
        "run", "sift", "--url", reference.sift_url, "--report-dir", str(reports), env={"JOBS_CONTRACT_TOKEN": TOKEN}
    )
    return run, reports


def test_violations_are_exit_1_with_check_expected_seen_and_curl(
    violation_with_reports: tuple[CompletedRun, Path],
) -> None:
    run, _ = violation_with_reports
    assert run.returncode == 1, run.explain()
    assert "POST /api/v1/jobs/{jobId}:retry — check `job_matches_path`" in run.stdout
    assert "Expected `/job/jobId` to be the `jobId` of the path" in run.stdout
    assert "curl -X POST" in run.stdout


def test_token_from_the_environment_never_appears(violation_with_reports: tuple[CompletedRun, Path]) -> None:
    run, reports = violation_with_reports
    written = [path.read_text(encoding="utf-8") for path in reports.iterdir()]
    assert "Authorization" in run.stdout  # the reproducers carry the header, with the value withheld
    for text in [run.stdout, run.stderr, *written]:
        assert TOKEN not in text


def test_reports_are_junit_xml_and_markdown(violation_with_reports: tuple[CompletedRun, Path]) -> None:
    _, reports = violation_with_reports
    failures = list(ElementTree.parse(reports / "junit.xml").getroot().iter("failure"))
    assert failures, "junit.xml records the violation"
    assert any("job_matches_path" in (failure.text or "") + (failure.get("message") or "") for failure in failures)
    summary = (reports / "summary.md").read_text(encoding="utf-8")
    assert "| `POST /api/v1/jobs/{jobId}:retry` | `job_matches_path` |" in summary
    assert "Exit code: 1" in summary


def test_read_only_sends_nothing_that_writes() -> None:
    with serve(token=TOKEN) as server:
        run = run_against("flatfile", server.flatfile_url, "--read-only", "--max-examples", "3")
        methods = {method for method, _ in server.requests_seen}
    assert run.returncode == 0, run.explain()
    assert methods <= {"GET", "HEAD", "OPTIONS"}, methods
    assert "GET" in methods


def test_max_time_bounds_the_whole_run() -> None:
    budget = 6
    with serve(token=TOKEN) as server:
        run = run_against("flatfile", server.flatfile_url, "--max-time", str(budget), "--max-examples", "50")
    assert run.returncode == 0, run.explain()
    assert "stopped: max_time" in run.stdout
    # The budget counts from the start of testing; the process also imports and loads the spec.
    assert run.seconds < budget + 5, run.explain()
