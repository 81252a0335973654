"""The coverage model on its own: cells, undocumented statuses, shares, bounds."""

from __future__ import annotations

from mock_server.coverage import MAX_NAMES, Coverage, DocumentedOperation, body_fields, query_names
from mock_server.coverage_page import HEAT_LEVELS, heat
from mock_server.session_coverage import SessionCoverage

GET_JOB = DocumentedOperation(
    api="flatfile",
    operation_id="getJob",
    method="GET",
    path="/jobs/{jobId}",
    statuses={200: ("complete", "failed"), 404: ("jobNotFound",)},
    query_parameters=("expand",),
)
LIST_JOBS = DocumentedOperation("flatfile", "listJobs", "GET", "/jobs", {200: (), 401: ()})


def test_cells_count_statuses_and_examples_and_keep_untouched_ones() -> None:
    coverage = Coverage([GET_JOB, LIST_JOBS])
    coverage.record(GET_JOB.key, 200, example="complete", query=["expand", "debug"])
    coverage.record(GET_JOB.key, 200, example="complete")
    coverage.record(GET_JOB.key, 200)  # generated data: no example
    coverage.record(GET_JOB.key, 500)
    coverage.record(GET_JOB.key, None)
    report = coverage.report()
    row = report.rows[0]
    cell = row.cell(200)
    assert cell is not None
    assert (cell.count, cell.examples, cell.other) == (3, {"complete": 2, "failed": 0}, 1)
    assert row.missed == [404]
    assert row.undocumented == {500: 1}
    assert row.unanswered == 1
    assert row.exchanges == 5
    assert row.query == {"expand": 1, "debug": 1}
    assert report.pairs == 4 and report.exercised_pairs == 1
    assert report.percent == 25.0
    assert report.missed == ["getJob (GET /jobs/{jobId}) 404", "listJobs (GET /jobs) 200", "listJobs (GET /jobs) 401"]
    assert report.statuses_of("flatfile") == [200, 401, 404, 500]


def test_requests_for_no_operation_are_counted_apart() -> None:
    coverage = Coverage([LIST_JOBS])
    coverage.record(("flatfile", "nope"), 404)
    coverage.record_outside(405)
    report = coverage.report()
    assert report.outside == {404: 1, 405: 1}
    assert report.exchanges == 2 and report.exercised_pairs == 0


def test_names_are_bounded_per_operation() -> None:
    coverage = Coverage([LIST_JOBS])
    for index in range(MAX_NAMES + 10):
        coverage.record(LIST_JOBS.key, 200, query=[f"q{index}"], body=[f"b{index}"])
    row = coverage.report().rows[0]
    assert len(row.query) == MAX_NAMES and len(row.body) == MAX_NAMES
    assert row.others_carried == 20


def test_query_names_and_body_fields_as_sent() -> None:
    assert query_names("a=1&b=&a=2&c") == ["a", "b", "c"]
    assert body_fields({"type": "file", "config": {"x": 1}}) == ["type", "config"]
    assert body_fields([1, 2]) == [] and body_fields(None) == []


def test_sessions_are_bounded_and_the_least_recent_goes_first() -> None:
    sessions = SessionCoverage([LIST_JOBS], max_sessions=2)
    for name in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" arrives
        sessions.record(name, None, 404)
    assert sessions.sessions() == ["a", "c"]
    assert sessions.report("a").exchanges == 2
    assert sessions.report("b").exchanges == 0  # forgotten: every cell untouched again
    assert sessions.report(None).exchanges == 0 and "default" not in sessions.sessions()


def test_heat_is_zero_only_for_untouched_cells() -> None:
    assert heat(0, 100) == 0
    assert heat(1, 100) == 1
    assert heat(100, 100) == HEAT_LEVELS
    assert heat(1, 1) == HEAT_LEVELS
    assert [heat(n, 1000) for n in (1, 10, 100, 1000)] == sorted({heat(n, 1000) for n in (1, 10, 100, 1000)})
