"""The fault catalogue: every injected fault is caught by a default `jobs-contract run`, by the right check.

Each fault is a switch on the reference implementation (tests/reference_impl/faults.py). The runs use the
default phases, checks, examples and time budget, and end at their first failure (`-x`): a run that has
caught its fault has nothing left to prove, so most end within seconds instead of spending their budget.
Two runs go at a time, each against its own server process, to keep the catalogue short.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from tests.reference_impl import Fault
from tests.reference_impl.harness import CompletedRun, reference_process, run_against

# Which check must catch each fault, and on which API.
CATALOGUE: dict[Fault, tuple[str, str]] = {
    Fault.MISSING_REQUIRED_FIELD: ("flatfile", "response_schema_conformance"),
    Fault.WRONG_TYPE: ("flatfile", "response_schema_conformance"),
    Fault.ENUM_OUT_OF_SPEC: ("flatfile", "response_schema_conformance"),
    Fault.ERROR_SHAPE_WRONG: ("flatfile", "response_schema_conformance"),
    Fault.WRONG_CONTENT_TYPE: ("flatfile", "content_type_conformance"),
    Fault.UNDOCUMENTED_STATUS: ("flatfile", "status_code_conformance"),
    Fault.SERVER_ERROR_ON_EDGE: ("flatfile", "not_a_server_error"),
    Fault.AUTH_IGNORED: ("flatfile", "ignored_auth"),
    Fault.INVALID_BODY_ACCEPTED: ("flatfile", "negative_data_rejection"),
    Fault.DELETED_STILL_READABLE: ("flatfile", "deleted_resource_is_gone"),
    Fault.CREATED_NOT_READABLE: ("flatfile", "ensure_resource_availability"),
    Fault.COMPLETE_KEEPS_STATUS: ("flatfile", "job_status_after_action"),
    Fault.ID_MISMATCH: ("flatfile", "job_matches_path"),
    Fault.PAGINATION_WRONG: ("flatfile", "pagination_consistent"),
    Fault.FILTER_IGNORED: ("flatfile", "list_filters_hold"),
    Fault.PAGE_NUMBER_IGNORED: ("flatfile", "list_pages_agree"),
    Fault.UPDATE_NOT_STORED: ("flatfile", "write_is_visible"),
    Fault.ACTION_NOT_STORED: ("flatfile", "lifecycle_move_is_real"),
    Fault.PLAN_NOT_STORED: ("flatfile", "write_is_visible"),
    Fault.SIFT_ENUM_VIOLATION: ("sift", "response_schema_conformance"),
    Fault.SIFT_RETRY_WRONG_JOB: ("sift", "job_matches_path"),
    Fault.SIFT_CANCEL_NOOP: ("sift", "lifecycle_move_is_real"),
    Fault.SIFT_FILTER_IGNORED: ("sift", "list_filters_hold"),
}
# The first failure of each run is its fault caught by the check named above (in every run measured: 9 seeds), except
# for these faults, whose runs go on to the end: the check they name is not the first to see them.
RUN_WHOLE = {
    # listJobs answering JOB_STATUS_DONE: the read-back after a cancel (`lifecycle_move_is_real`) sees it first.
    Fault.SIFT_ENUM_VIOLATION,
}
EXITFIRST = ("-x",)
PARALLEL_RUNS = 2


def _run_with(fault: Fault) -> CompletedRun:
    api, _ = CATALOGUE[fault]
    with reference_process([fault]) as origin:
        options = () if fault in RUN_WHOLE else EXITFIRST
        return run_against(api, f"{origin}/v1" if api == "flatfile" else origin, *options)


@pytest.fixture(scope="module")
def catalogue_runs(request: pytest.FixtureRequest) -> Iterator[dict[Fault, Future[CompletedRun]]]:
    """The run of each selected fault, started at once, two at a time, in the tests' order: each test waits for
    its own, so that the results show as the runs end rather than after all of them."""
    selected = [
        item.callspec.params["fault"]
        for item in request.session.items
        if isinstance(item, pytest.Function) and item.originalname == test_fault_is_caught_by_its_check.__name__
    ]
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        yield {fault: pool.submit(_run_with, fault) for fault in selected}


def test_the_catalogue_covers_every_fault() -> None:
    assert set(CATALOGUE) == set(Fault)


@pytest.mark.parametrize("fault", list(CATALOGUE), ids=[fault.value for fault in CATALOGUE])
def test_fault_is_caught_by_its_check(fault: Fault, catalogue_runs: dict[Fault, Future[CompletedRun]]) -> None:
    run = catalogue_runs[fault].result()
    _, check = CATALOGUE[fault]
    assert run.returncode == 1, run.explain()
    assert check in run.checks, run.explain()
