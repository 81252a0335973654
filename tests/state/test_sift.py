"""Stateful Sift: seeded jobs, token paging, orderBy, CEL filters, cancel and retry, against the spec."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from mock_server.state import ErrorKind, StateEngine, StateError, StateRequest, paging
from mock_server.state.cel_filter import FilterError, compile_filter
from mock_server.state.sift import CEL_FIELDS
from mock_server.state.store import StoredJob
from tests.support.state import Client, job_ids, spec

RUNNING = "c7e4a1f0-6d2b-4e9c-8a5f-1b3d9e7c2a60"
FINISHED = "9b2d7e14-3c6f-4a8b-b1d2-7f0e5a9c6b38"
FAILED = "5f1c3a9e-8a4b-4d1e-9a7c-2e6b1d0f3c41"


def ids(page: dict[str, Any]) -> list[str]:
    return job_ids(page["jobs"], "jobId")


def all_pages(client: Client, **query: Any) -> Iterator[dict[str, object]]:
    token = None
    while True:
        page = client.call("listJobs", **query, **({"pageToken": token} if token else {}))
        yield page
        token = page.get("nextPageToken")
        if not token:
            return


def test_first_list_is_the_first_documented_example(sift: Client) -> None:
    documented = spec("sift").example("listJobs")
    assert sift.call("listJobs")["jobs"] == documented["jobs"]
    assert "nextPageToken" not in sift.call("listJobs")


def test_token_paging_walks_every_job_once(sift: Client) -> None:
    pages = list(all_pages(sift, pageSize=1))
    assert [ids(page) for page in pages] == [[RUNNING], [FINISHED], [FAILED]]
    assert "nextPageToken" not in pages[-1]


def test_page_size_default_and_maximum(engine: StateEngine) -> None:
    engine.handle("sift", "listJobs", StateRequest(session="many"))  # seeds the session
    with engine.store.transaction() as tx:
        for number in range(1200):
            job = {
                "jobId": f"job-{number:04}",
                "createdDate": "2025-01-01T00:00:00Z",
                "jobStatus": "JOB_STATUS_FINISHED",
            }
            tx.insert("many", "sift", StoredJob(id=job["jobId"], job=job), job["jobStatus"])

    def page_length(**query: Any) -> int:
        body = engine.handle("sift", "listJobs", StateRequest(session="many", query=query)).body
        assert "nextPageToken" in body
        return len(body["jobs"])

    assert page_length() == page_length(pageSize=0) == 50
    assert page_length(pageSize="5000") == page_length(pageSize=1000) == 1000


@pytest.mark.parametrize("token", ["not base64 at all!", "e30", "eyJvZmZzZXQiOi0xLCJwYXJhbXMiOiIifQ", "AAAA"])
def test_a_token_this_server_did_not_issue_is_refused(sift: Client, token: str) -> None:
    error = sift.refused("listJobs", pageToken=token)
    assert (error.status, error.kind, error.field) == (400, ErrorKind.INVALID_ARGUMENT, "pageToken")


def test_a_token_is_bound_to_the_other_parameters(sift: Client) -> None:
    token = sift.call("listJobs", pageSize=1, orderBy="created_date")["nextPageToken"]
    assert ids(sift.call("listJobs", pageSize=1, orderBy="created_date", pageToken=token)) == [FINISHED]
    assert ids(sift.call("listJobs", pageSize=5, orderBy="created_date", pageToken=token)) == [FINISHED, RUNNING]
    error = sift.refused("listJobs", pageSize=1, orderBy="job_status", pageToken=token)
    assert error.field == "pageToken" and "must match" in error.message


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("created_date desc", [RUNNING, FINISHED, FAILED]),
        ("created_date", [FAILED, FINISHED, RUNNING]),
        ("job_status", [FAILED, FINISHED, RUNNING]),
        ("completed_date desc", [FINISHED, FAILED, RUNNING]),
        ("started_date desc", [RUNNING, FINISHED, FAILED]),
    ],
)
def test_order_by(sift: Client, order: str, expected: list[str]) -> None:
    assert ids(sift.call("listJobs", orderBy=order)) == expected


def test_order_by_later_fields_break_ties(sift: Client) -> None:
    sift.call("retryJob", FAILED)  # no completed_date now, like the running job
    assert ids(sift.call("listJobs", orderBy="completed_date, created_date desc")) == [RUNNING, FAILED, FINISHED]
    assert ids(sift.call("listJobs", orderBy="completed_date,created_date")) == [FAILED, RUNNING, FINISHED]


@pytest.mark.parametrize(
    ("order", "named"),
    [("name", 'unsupported field "name"'), ("created_date up", "FIELD desc"), ("created_date,", "FIELD desc")],
)
def test_bad_order_by_is_refused(sift: Client, order: str, named: str) -> None:
    error = sift.refused("listJobs", orderBy=order)
    assert (error.status, error.field) == (400, "orderBy") and named in error.message


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('job_status == "JOB_STATUS_FAILED"', [FAILED]),
        (
            'job_status != "JOB_STATUS_FAILED" && created_by_user_id == "d8b3f1e7-5a2c-4e9d-b0f6-3c7a9e1d4b82"',
            [FINISHED],
        ),
        ('created_date > timestamp("2025-03-14T09:00:00Z")', [RUNNING, FINISHED]),
        ('completed_date == timestamp("1970-01-01T00:00:00Z")', [RUNNING]),
        ('job_id.startsWith("5f1c") || job_id.startsWith("c7e4")', [RUNNING, FAILED]),
        ('job_status in ["JOB_STATUS_RUNNING", "JOB_STATUS_FINISHED"]', [RUNNING, FINISHED]),
        ('modified_by_user_id.matches("^a41c")', [RUNNING]),
        ("started_date < modified_date", [FINISHED, FAILED]),
        ("true", [RUNNING, FINISHED, FAILED]),
    ],
)
def test_cel_filter(sift: Client, expression: str, expected: list[str]) -> None:
    assert ids(sift.call("listJobs", filter=expression)) == expected


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ('job_status == == "JOB_STATUS_FAILED"', "syntax error at line 1, column"),
        ("job_status ==", "syntax error"),
        ("job_status", "must evaluate to a bool"),
        ("job_type == 1", "undeclared reference to 'job_type'"),
        ("created_date > 3", "no matching overload"),
    ],
)
def test_a_bad_filter_is_refused_naming_the_problem(sift: Client, expression: str, reason: str) -> None:
    error = sift.refused("listJobs", filter=expression)
    assert (error.status, error.kind, error.field) == (400, ErrorKind.INVALID_ARGUMENT, "filter")
    assert error.message.startswith("invalid filter: ") and reason in error.message


def test_a_non_bool_filter_is_refused_even_with_no_job_to_match(engine: StateEngine, sift: Client) -> None:
    error = sift.refused("listJobs", filter="job_id", organizationId="no-such-org")
    assert "must evaluate to a bool" in error.message


def test_filter_and_paging_combine(sift: Client) -> None:
    query = {"filter": 'job_status != "JOB_STATUS_RUNNING"', "pageSize": 1}
    assert [ids(page) for page in all_pages(sift, **query)] == [[FINISHED], [FAILED]]


def test_organization_narrows_the_list(sift: Client) -> None:
    assert len(sift.call("listJobs", organizationId="3e8f5a2c-9d1b-4c7e-a6f0-8b2d4e1c9a57")["jobs"]) == 3
    assert sift.call("listJobs", organizationId="another-org") == {"jobs": []}


def test_cancel_a_running_job_requests_cancellation(sift: Client) -> None:
    assert sift.call("cancelJob", RUNNING) == {}
    job = next(job for job in sift.call("listJobs")["jobs"] if job["jobId"] == RUNNING)
    assert job["jobStatus"] == "JOB_STATUS_CANCEL_REQUESTED" and job["modifiedDate"].startswith("2026-01-02T03:04:05")
    assert sift.call("cancelJob", RUNNING) == {}  # asking again changes nothing


@pytest.mark.parametrize("job_id", [FINISHED, FAILED])
def test_a_finished_job_cannot_be_cancelled(sift: Client, job_id: str) -> None:
    before = sift.call("listJobs")
    error = sift.refused("cancelJob", job_id)
    assert (error.status, error.kind, error.field) == (400, ErrorKind.FAILED_PRECONDITION, None)
    assert error.message.startswith(f"job {job_id} cannot be cancelled in status JOB_STATUS_")
    assert sift.call("listJobs") == before


def test_retry_a_failed_job_makes_it_created_again(sift: Client) -> None:
    job = sift.call("retryJob", FAILED)["job"]
    assert job["jobId"] == FAILED and job["jobStatus"] == "JOB_STATUS_CREATED"
    assert "completedDate" not in job and "startedDate" not in job
    assert job["jobStatusDetails"] == {"dataImport": {"pointsTotal": "4000000"}}
    assert job["modifiedDate"] > job["createdDate"]
    assert sift.call("cancelJob", FAILED) == {}  # a job that has not started is cancelled at once
    cancelled = next(job for job in sift.call("listJobs")["jobs"] if job["jobId"] == FAILED)
    assert cancelled["jobStatus"] == "JOB_STATUS_CANCELLED" and "completedDate" in cancelled


@pytest.mark.parametrize(("job_id", "status"), [(RUNNING, "JOB_STATUS_RUNNING"), (FINISHED, "JOB_STATUS_FINISHED")])
def test_retry_of_a_job_that_did_not_fail_is_refused(sift: Client, job_id: str, status: str) -> None:
    error = sift.refused("retryJob", job_id)
    assert (error.status, error.kind) == (400, ErrorKind.FAILED_PRECONDITION)
    assert error.message == f"job {job_id} cannot be retried in status {status}"


@pytest.mark.parametrize("operation", ["cancelJob", "retryJob"])
def test_an_unknown_job_is_not_found(sift: Client, operation: str) -> None:
    error = sift.refused(operation, "0d9e8f7a-6b5c-4d3e-a2f1-0e9d8c7b6a54")
    assert (error.status, error.kind, error.field) == (404, ErrorKind.NOT_FOUND, None)
    assert error.message == "job 0d9e8f7a-6b5c-4d3e-a2f1-0e9d8c7b6a54 not found"


def test_both_apis_share_a_session_but_not_their_jobs(engine: StateEngine) -> None:
    request = StateRequest(session="s1", path={"jobId": FAILED})
    engine.handle("sift", "retryJob", request)
    assert engine.handle("flatfile", "listJobs", StateRequest(session="s1")).body["pagination"]["totalCount"] == 1


_HUNDRED = "[" + ",".join(map(str, range(100))) + "]"
_DOUBLING = "[job_id]" + "".join(f".map({name}, {name} + {name})" for name in "abcdefghij") + ".size() > 0"


@pytest.mark.parametrize(
    ("expression", "limit"),
    [
        ('job_id == "' + "x" * 2_000 + '"', "2012 characters, more than the limit of 2000"),
        ("(" * 55 + "true" + ")" * 55, "nested 55 levels deep, more than the limit of 16"),
        ("||".join(["false"] * 300), "more than the limit of 200"),
        (f"{_HUNDRED}.exists(x, {_HUNDRED}.exists(y, x == y + 1000))", "more than the limit of 10000 steps"),
        (f"{_HUNDRED}.map(x, {_HUNDRED}.map(y, x + y)).size() > 0", "more than the limit of 10000 steps"),
        (_DOUBLING, "larger than the limit of 10000 elements"),
    ],
    ids=["length", "nesting", "operator-depth", "nested-exists", "map-over-map", "growing-value"],
)
def test_a_filter_over_a_limit_is_refused_naming_it(sift: Client, expression: str, limit: str) -> None:
    error = sift.refused("listJobs", filter=expression)
    assert (error.status, error.kind, error.field) == (400, ErrorKind.INVALID_ARGUMENT, "filter")
    assert error.message.startswith("invalid filter: ") and limit in error.message


def test_compile_filter_is_the_one_way_in_for_every_mode() -> None:
    compiled = compile_filter('job_status == "JOB_STATUS_FAILED"', CEL_FIELDS, parameter="q")
    assert compiled.exact and compiled.matches({"jobStatus": "JOB_STATUS_FAILED"})
    for source, problem in [("job_status ==", "syntax error"), ("(" * 20 + "true" + ")" * 20, "limit of 16")]:
        with pytest.raises(FilterError) as raised:
            compile_filter(source, CEL_FIELDS, parameter="q")
        assert isinstance(raised.value, StateError) and (raised.value.status, raised.value.field) == (400, "q")
        assert raised.value.message.startswith("invalid q: ") and problem in raised.value.message


@pytest.mark.parametrize(
    "expression",
    [
        'job_status == "JOB_STATUS_FAILED" || !(job_id.endsWith("38") || job_id.contains("1f0"))',
        'created_date >= timestamp("2025-03-14T09:00:00Z") && job_status != "JOB_STATUS_RUNNING"',
        'started_date < modified_date && job_status in ["JOB_STATUS_FAILED", "JOB_STATUS_FINISHED"]',
        'job_id.startsWith("") && completed_date == timestamp("1970-01-01T00:00:00Z")',
        'job_status == "JOB_STATUS_FAILED" && job_id.matches("^5f1c")',
    ],
)
def test_what_the_store_decides_is_what_cel_decides(sift: Client, expression: str) -> None:
    compiled = compile_filter(expression, CEL_FIELDS)
    assert compiled.condition != compile_filter("true", CEL_FIELDS).condition  # the store narrows the list
    jobs = sift.call("listJobs")["jobs"]
    assert ids(sift.call("listJobs", filter=expression)) == [job["jobId"] for job in jobs if compiled.matches(job)]


@pytest.mark.parametrize("position", [[10**30, 1], [1e308 * 10, 1], ["x", 1, 2], [True, 1]])
def test_a_token_whose_position_no_store_holds_is_refused(sift: Client, position: list[object]) -> None:
    token = sift.call("listJobs", pageSize=1)["nextPageToken"]
    decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**decoded, "after": position}).encode()).decode()
    error = sift.refused("listJobs", pageSize=1, pageToken=forged)
    assert (error.status, error.field) == (400, "pageToken") and "not a page token this server issued" in error.message


def _many_jobs(engine: StateEngine, count: int) -> None:
    """`count` jobs in session "many" with few distinct dates and statuses, so orders have ties to break."""
    engine.handle("sift", "listJobs", StateRequest(session="many"))  # seeds the session
    statuses = ("JOB_STATUS_FINISHED", "JOB_STATUS_FAILED", "JOB_STATUS_RUNNING")
    with engine.store.transaction() as tx:
        for number in range(count):
            job = {
                "jobId": f"job-{number:04}",
                "createdDate": f"2025-01-0{number % 3 + 1}T00:00:00Z",
                "jobStatus": statuses[number % 7 % 3],
            }
            if number % 4:
                job["completedDate"] = f"2025-02-0{number % 5 + 1}T00:00:00Z"
            tx.insert("many", "sift", StoredJob(id=job["jobId"], job=job), job["jobStatus"])


def _walk(engine: StateEngine, **query: Any) -> list[list[str]]:
    """Every page, following tokens; a walk that does not end within 500 pages fails."""
    pages, token = [], None
    for _ in range(500):
        request = StateRequest(session="many", query={**query, **({"pageToken": token} if token else {})})
        body = engine.handle("sift", "listJobs", request).body
        pages.append(ids(body))
        token = body.get("nextPageToken")
        if not token:
            return pages
    raise AssertionError(f"paging did not end: {pages[-3:]}")


@pytest.mark.parametrize(
    "order", ["created_date desc", "created_date", "job_status, completed_date desc", "completed_date desc, job_status"]
)
@pytest.mark.parametrize("expression", ["", 'job_status != "JOB_STATUS_RUNNING"', 'job_id.matches("0$")'])
def test_paging_by_token_walks_the_whole_order_once(
    engine: StateEngine, monkeypatch: pytest.MonkeyPatch, order: str, expression: str
) -> None:
    _many_jobs(engine, 250)
    whole = _walk(engine, orderBy=order, filter=expression, pageSize=1000)
    assert len(whole) == 1
    if expression.startswith("job_id.matches"):
        assert len(whole[0]) == 26 and all(job_id.endswith("0") for job_id in whole[0])  # 25 and a seed
    monkeypatch.setattr(paging, "SCAN_BATCH", 25)
    monkeypatch.setattr(paging, "SCAN_LIMIT", 60)  # a filter evaluated here then ends pages early
    pages = _walk(engine, orderBy=order, filter=expression, pageSize=7)
    assert [job_id for page in pages for job_id in page] == whole[0]
    assert all(len(page) <= 7 for page in pages)
    if expression.startswith("job_id.matches"):  # one match in ten: 60 candidates hold fewer than a page
        assert any(len(page) < 7 for page in pages[:-1])
