"""A verdict you can trust: a run that never really reached the API exits 2 with the cause and the fix,
whatever the checks said about the answers it got; and what it did test is counted (the summary of a run that
reached everything: tests/contracts/test_reference.py; of a read-only run: tests/contracts/test_cli.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.reference_impl import RunningServer, serve
from tests.reference_impl.harness import TOKEN, CompletedRun, jobs_contract, run_against
from tests.support.stub_server import stub_server

QUICK = ("--max-time", "6", "--max-examples", "3")


def _exit_2_saying(run: CompletedRun, sentence: str) -> None:
    assert run.returncode == 2, run.explain()
    assert "Traceback" not in run.stdout + run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("jobs-contract: "), run.explain()
    assert sentence in last, run.explain()


@pytest.fixture(scope="module")
def reference() -> Iterator[RunningServer]:
    with serve(token=TOKEN) as server:
        yield server


@pytest.mark.parametrize("token", ["wrong-token-0000", "", f"Bearer {TOKEN}"])
def test_a_rejected_token_is_exit_2_not_conforms(reference: RunningServer, token: str) -> None:
    run = jobs_contract("run", "flatfile", "--url", reference.flatfile_url, *QUICK, env={"JOBS_CONTRACT_TOKEN": token})
    _exit_2_saying(run, "every request was refused with 401: is the token right? (`--token` or `$JOBS_CONTRACT_TOKEN`)")
    assert "conforms" not in run.stdout


def test_a_base_url_without_the_base_path_is_exit_2(reference: RunningServer) -> None:
    run = run_against("flatfile", reference.origin, *QUICK)
    _exit_2_saying(run, "every request got 404: does --url include the base path (…/v1)?")


def test_a_server_answering_only_head_is_exit_2() -> None:
    with stub_server(lambda method, path: None, hang_seconds=3) as server:
        run = run_against("sift", server.origin, "--max-time", "3", "--request-timeout", "1")
    assert run.returncode == 2, run.explain()
    assert re.search(r"never really exercised: \d+ request\(s\) timed out", run.stderr), run.explain()


def test_timeouts_are_exit_2_and_counted_per_operation() -> None:
    def slow(method: str, path: str) -> tuple[int, bytes]:
        time.sleep(1.0)
        return 200, b"{}"

    with stub_server(slow) as server:
        run = run_against("sift", server.origin, "--max-time", "4", "--request-timeout", "0.3")
    _exit_2_saying(run, "request(s) timed out: the server did not answer within 0.3 s (`--request-timeout`)")
    assert re.search(r"\d+ request\(s\) timed out: GET /api/v1/jobs × \d+", run.stdout), run.explain()


def test_the_rate_limit_holds_in_every_second_on_the_servers_clock() -> None:
    with stub_server(lambda method, path: (200, b"{}")) as server:
        run = run_against("sift", server.origin, "--rate-limit", "5/s", "--max-time", "4")
    assert run.returncode in (1, 2), run.explain()  # a stub answering {} to everything: only its clock matters
    paths = [path for _, _, path in server.arrivals]
    assert len(paths) > 10, paths  # enough requests that an unlimited run would send far more than 5 in a second
    assert any("schemathesis-probe" in path for path in paths), "the capability probes are counted too"
    assert server.busiest_second() <= 5, sorted(arrival for arrival, _, _ in server.arrivals)
