"""`jobs-contract run` as a command: exit codes, one-sentence errors, token redaction, reports, read-only, budget,
early stop."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import pytest
from jobs_openapi import spec_path

from tests.reference_impl import Fault, RunningServer, serve
from tests.reference_impl.harness import TOKEN, CompletedRun, jobs_contract, run_against


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
        (["run", "sift", "--url", "http://127.0.0.1:1", "--max-failures", "0"], "--max-failures"),
        (["run", "sift", "--url", "http://127.0.0.1:1", "-x", "--max-failures", "3"], "--exitfirst"),
    ],
)
def test_bad_usage_is_exit_2_in_one_sentence(arguments: list[str], named: str) -> None:
    assert named in _one_sentence_error(jobs_contract(*arguments))


def test_a_spec_the_validator_refuses_is_exit_2_naming_the_place(tmp_path: Path) -> None:
    spec = tmp_path / "things.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: Things, version: '1'}\npaths:\n  /v1/things:\n    get:\n"
        "      responses: {'200': {}}\n"
    )
    line = _one_sentence_error(jobs_contract("run", str(spec), "--url", f"http://127.0.0.1:{_closed_port()}"))
    assert line == (
        f"jobs-contract: {spec} is not valid OpenAPI 3.0: "
        "#/paths/~1v1~1things/get/responses/200: 'description' is a required property."
    )


def test_a_path_parameter_without_required_is_a_warning_and_the_run_goes_on(tmp_path: Path) -> None:
    spec = tmp_path / "sift-loose.yaml"
    written = spec_path("sift").read_text(encoding="utf-8")
    job_id = "      name: jobId\n      in: path\n      required: true\n"
    assert job_id in written
    spec.write_text(written.replace(job_id, job_id.removesuffix("      required: true\n")), encoding="utf-8")
    with serve(token=TOKEN) as server:
        run = run_against(str(spec), server.sift_url, "--max-time", "5", "--max-examples", "3")
    assert run.returncode == 0, run.explain()
    warning = (
        f"jobs-contract: warning: {spec}: #/components/parameters/JobId: a path parameter needs `required: true` "
        "(read as required)"
    )
    assert run.stderr.splitlines()[0] == warning, run.explain()


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
    # The reproducers carry the header, the token read from the shell's variable.
    assert '-H "Authorization: Bearer $JOBS_CONTRACT_TOKEN"' in run.stdout
    for text in [run.stdout, run.stderr, *written]:
        assert TOKEN not in text


def _reproducers(stdout: str) -> list[tuple[int, str]]:
    """(status seen, curl command) of every finding printed."""
    found = re.findall(r"Seen: HTTP (\d+).*?\n     Reproduce:\n       (curl [^\n]+)", stdout, flags=re.DOTALL)
    return [(int(status), command) for status, command in found]


def test_a_reproducer_pasted_in_a_shell_reproduces_the_status() -> None:
    with serve(token=TOKEN, faults=[Fault.UNDOCUMENTED_STATUS]) as server:
        run = run_against("flatfile", server.flatfile_url, "--max-time", "8", "--phases", "examples,coverage", "-x")
        assert run.returncode == 1, run.explain()
        status, command = next((status, command) for status, command in _reproducers(run.stdout) if status == 201)
        assert TOKEN not in command
        pasted = subprocess.run(
            ["bash", "-c", f"{command} -s -o /dev/null -w '%{{http_code}}'"],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "JOBS_CONTRACT_TOKEN": TOKEN},
        )
    assert pasted.stdout == str(status), (command, pasted.stdout, pasted.stderr)


def test_a_short_token_is_redacted_only_where_it_stands_as_the_token() -> None:
    with serve(token="t") as server:
        run = jobs_contract(
            "run", "sift", "--url", server.sift_url, "--token", "t", "--max-time", "5", "--max-examples", "3"
        )
    assert run.returncode == 0, run.explain()
    assert "[REDACTED]" not in run.stdout + run.stderr
    assert "Testing http://127.0.0.1" in run.stderr


def _as_ci_shows_it(junit: Path) -> dict[str, str]:
    """What GitLab's and GitHub's test-report views list: suite › classname › name, and the failure, error or skip
    message (or `passed`)."""
    shown = {}
    for suite in ElementTree.parse(junit).getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            problem = case.find("failure")
            if problem is None:
                problem = case.find("error")
            if problem is None:
                problem = case.find("skipped")
            key = f"{suite.get('name')} › {case.get('classname')} › {case.get('name')}"
            shown[key] = "passed" if problem is None else str(problem.get("message"))
    return shown


def test_reports_are_junit_xml_and_markdown(violation_with_reports: tuple[CompletedRun, Path]) -> None:
    run, reports = violation_with_reports
    failures = list(ElementTree.parse(reports / "junit.xml").getroot().iter("failure"))
    assert failures, "junit.xml records the violation"
    assert any("job_matches_path" in (failure.text or "") + (failure.get("message") or "") for failure in failures)
    shown = _as_ci_shows_it(reports / "junit.xml")
    assert set(shown) == {
        "sift › listJobs › GET /api/v1/jobs",
        "sift › retryJob › POST /api/v1/jobs/{jobId}:retry",
        "sift › cancelJob › POST /api/v1/jobs/{jobId}:cancel",
    }
    assert shown["sift › retryJob › POST /api/v1/jobs/{jobId}:retry"].startswith("job_matches_path: ")
    assert shown["sift › listJobs › GET /api/v1/jobs"] == "passed"
    (failure,) = failures
    assert "curl -X POST" in (failure.text or "")
    suite = ElementTree.parse(reports / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    seconds = re.search(r"Result: the API VIOLATES the spec \(([\d.]+) s of", run.stdout)
    assert seconds, run.stdout
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "0")
    assert suite.get("time") == seconds[1]
    summary = (reports / "summary.md").read_text(encoding="utf-8")
    assert "| `POST /api/v1/jobs/{jobId}:retry` | `job_matches_path` |" in summary
    assert "Exit code: 1" in summary


FINDING = re.compile(r"^\d+\. (\S+ \S+) — check `([a-z_]+)`", re.M)
NOT_TESTED = "not tested before the run stopped at --max-failures 1"


@pytest.fixture(scope="module")
def stopped_at_the_first_failure(tmp_path_factory: pytest.TempPathFactory) -> tuple[CompletedRun, Path]:
    """A run with `-x` of a server that serves every operation without a token: a violation on each to be found."""
    reports = tmp_path_factory.mktemp("exitfirst")
    with serve(token=TOKEN, faults=[Fault.AUTH_IGNORED]) as server:
        run = run_against("flatfile", server.flatfile_url, "-x", "--report-dir", str(reports))
    return run, reports


def test_exitfirst_ends_the_run_at_the_first_failure(stopped_at_the_first_failure: tuple[CompletedRun, Path]) -> None:
    run, _ = stopped_at_the_first_failure
    assert run.returncode == 1, run.explain()
    ((operation, check),) = set(FINDING.findall(run.stdout))
    assert check == "ignored_auth"
    assert "stopped at --max-failures 1, so the stateful and fuzzing passes did not run)." in run.stdout
    not_reached = re.search(r"^Not tested before the run stopped at --max-failures 1: (.*)\.$", run.stdout, re.M)
    tested = re.search(r"^Tested: (\d+)/17 operations exercised", run.stdout, re.M)
    assert not_reached and tested, run.explain()
    assert operation not in not_reached[1].split(", ")
    assert int(tested[1]) + len(not_reached[1].split(", ")) == 17


def test_a_run_stopped_early_reports_what_it_found(stopped_at_the_first_failure: tuple[CompletedRun, Path]) -> None:
    _, reports = stopped_at_the_first_failure
    shown = _as_ci_shows_it(reports / "junit.xml")
    failed = [message for message in shown.values() if message not in ("passed", NOT_TESTED)]
    assert len(failed) == 1 and failed[0].startswith("ignored_auth: "), shown
    skipped = sum(message == NOT_TESTED for message in shown.values())
    assert skipped
    suite = ElementTree.parse(reports / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert [suite.get(count) for count in ("tests", "failures", "errors", "skipped")] == ["17", "1", "0", str(skipped)]
    summary = (reports / "summary.md").read_text(encoding="utf-8")
    assert "stopped at --max-failures 1" in summary and "Exit code: 1" in summary


def test_max_failures_ends_the_run_at_that_many() -> None:
    with serve(token=TOKEN, faults=[Fault.AUTH_IGNORED]) as server:
        run = run_against("flatfile", server.flatfile_url, "--max-failures", "3")
    assert run.returncode == 1, run.explain()
    found = set(FINDING.findall(run.stdout))
    assert {check for _, check in found} == {"ignored_auth"}
    assert len({operation for operation, _ in found}) == 3, run.explain()
    assert "stopped at --max-failures 3, so the stateful and fuzzing passes did not run)." in run.stdout


@pytest.fixture(scope="module")
def read_only_run() -> tuple[CompletedRun, list[tuple[str, str]]]:
    """A `--read-only` run of Flatfile, and the (method, path) of every request the server received."""
    with serve(token=TOKEN) as server:
        run = run_against("flatfile", server.flatfile_url, "--read-only", "--max-examples", "3")
        return run, list(server.requests_seen)


def test_read_only_counts_only_what_it_selects(read_only_run: tuple[CompletedRun, list[tuple[str, str]]]) -> None:
    run, _ = read_only_run
    assert run.returncode == 0, run.explain()
    assert "Tested: 3/3 operations exercised" in run.stdout


def test_read_only_sends_nothing_that_writes(read_only_run: tuple[CompletedRun, list[tuple[str, str]]]) -> None:
    run, requests = read_only_run
    methods = {method for method, _ in requests}
    paths = {path for _, path in requests}
    assert run.returncode == 0, run.explain()
    assert methods <= {"GET", "HEAD", "OPTIONS"}, methods
    assert "GET" in methods
    # The spec's own paths, and the base URL the run checks is reachable: no probe of paths the spec lacks.
    assert all(path == "/v1" or path.startswith("/v1/jobs") for path in paths), paths


def test_max_time_bounds_the_whole_run() -> None:
    budget = 6
    with serve(token=TOKEN) as server:
        run = run_against("flatfile", server.flatfile_url, "--max-time", str(budget), "--max-examples", "50")
    assert run.returncode == 0, run.explain()
    assert re.search(r"the [a-z+]+ pass (used all of its share|did not start)", run.stdout), run.explain()
    # The budget counts from the start of testing; the process also imports and loads the spec.
    assert run.seconds < budget + 5, run.explain()
