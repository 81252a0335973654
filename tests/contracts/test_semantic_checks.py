"""The semantic checks on hand-built cases and answers, no server: each contradiction fails, with the check's own
failure, and each case the check cannot decide passes. Cases come from the real specs, so their annotations
are what is tested too; follow-up reads are answered by a stand-in for the transport."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
import requests
import schemathesis
from jobs_openapi import spec_path
from schemathesis import Case, Response
from schemathesis.checks import CheckContext
from schemathesis.schemas import BaseSchema

from contracts.semantic import filters, lifecycle, paging, reads, writes
from contracts.semantic.failures import FilterNotHeld, MoveNotStored, PagesDisagree, WriteNotVisible

NO_CONTEXT = cast(CheckContext, None)  # the checks hand it to the transport only, which is stood in for here
OLD, NOW, LATER = "2026-01-01T10:00:00.000Z", "2026-01-01T10:00:05.000Z", "2026-01-01T10:00:09.000Z"


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        headers={
            name.lower(): [value] for name, value in {"Content-Type": "application/json", **(headers or {})}.items()
        },
        content=json.dumps(body).encode(),
        request=requests.Request("GET", "http://127.0.0.1:1/").prepare(),
        elapsed=0.0,
        verify=True,
    )


@pytest.fixture(scope="module")
def flatfile() -> BaseSchema:
    return schemathesis.openapi.from_path(spec_path("flatfile"))


@pytest.fixture(scope="module")
def sift() -> BaseSchema:
    return schemathesis.openapi.from_path(spec_path("sift"))


def case(schema: BaseSchema, operation_id: str, **values: Any) -> Case[Any]:
    return schema.find_operation_by_id(operation_id).Case(**values)  # type: ignore[attr-defined,no-any-return]


Reads = Callable[[Case[Any]], Response]


@pytest.fixture
def serve_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Reads], list[Case[Any]]]]:
    """Answer the checks' follow-up reads with `answers(probe)`; returns the probes sent."""
    monkeypatch.setattr(paging, "WALKED", paging._Walked())
    monkeypatch.setattr(reads, "READS", reads._Reads())

    def install(answers: Reads) -> list[Case[Any]]:
        sent: list[Case[Any]] = []

        def send(ctx: CheckContext, parent: Case[Any], operation: Any, **values: Any) -> reads.Read:
            probe = operation.Case(**{name: dict(value or {}) for name, value in values.items()})
            sent.append(probe)
            return reads.Read(probe, answers(probe))

        monkeypatch.setattr(reads, "send", send)
        monkeypatch.setattr(paging, "send", send)
        return sent

    yield install


def job(job_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": job_id, "status": "executing", "updatedAt": NOW, **fields}


# --- list_filters_hold -------------------------------------------------------------------------------------------
def test_a_job_of_another_environment_breaks_the_environment_filter(flatfile: BaseSchema) -> None:
    listed = answer({"data": [job("a", environmentId="us_env_1"), job("b", environmentId="us_env_2")]})
    with pytest.raises(FilterNotHeld, match="us_env_2"):
        filters.list_filters_hold(NO_CONTEXT, listed, case(flatfile, "listJobs", query={"environmentId": "us_env_1"}))


def test_an_empty_filter_value_is_not_judged(flatfile: BaseSchema) -> None:
    # The stateful mock, like many servers, reads `?workbookId=` as no filter at all.
    listed = answer({"data": [job("a", source="us_wb_1"), job("b", environmentId="us_env_2")]})
    for query in ({"workbookId": ""}, {"environmentId": ""}):
        assert filters.list_filters_hold(NO_CONTEXT, listed, case(flatfile, "listJobs", query=query)) is None


def test_the_workbook_filter_holds_for_a_source_or_a_destination(flatfile: BaseSchema) -> None:
    listed = answer({"data": [job("a", source="us_wb_1"), job("b", destination="us_wb_1")]})
    query = {"workbookId": "us_wb_1"}
    assert filters.list_filters_hold(NO_CONTEXT, listed, case(flatfile, "listJobs", query=query)) is None
    with pytest.raises(FilterNotHeld):
        filters.list_filters_hold(
            NO_CONTEXT, answer({"data": [job("c", source="us_wb_2")]}), case(flatfile, "listJobs", query=query)
        )


def test_excluded_child_jobs_may_be_listed_when_their_parent_is_asked_for(flatfile: BaseSchema) -> None:
    children = answer({"data": [job("a", parentId="p")]})
    with pytest.raises(FilterNotHeld, match="parentId"):
        filters.list_filters_hold(NO_CONTEXT, children, case(flatfile, "listJobs", query={"excludeChildJobs": True}))
    parts = case(flatfile, "listJobs", query={"excludeChildJobs": True, "parentId": "p"})
    assert filters.list_filters_hold(NO_CONTEXT, children, parts) is None


@pytest.mark.parametrize(
    ("expression", "holds"),
    [
        ('job_status == "JOB_STATUS_FAILED"', False),
        ('job_id == "j1" || job_status == "JOB_STATUS_RUNNING"', True),
        ("job_status ==", True),  # not CEL: the server should refuse it, and this check cannot judge
        ("started_date > 3", True),  # a name the check does not bind: it cannot judge
    ],
)
def test_sift_items_are_judged_by_the_cel_filter(sift: BaseSchema, expression: str, holds: bool) -> None:
    listed = answer({"jobs": [{"jobId": "j1", "jobStatus": "JOB_STATUS_RUNNING"}]})
    check = case(sift, "listJobs", query={"filter": expression})
    if holds:
        assert filters.list_filters_hold(NO_CONTEXT, listed, check) is None
    else:
        with pytest.raises(FilterNotHeld, match="CEL"):
            filters.list_filters_hold(NO_CONTEXT, listed, check)


# --- list_pages_agree --------------------------------------------------------------------------------------------
def _numbered(jobs: list[dict[str, Any]], *, ignore_page: bool = False) -> Reads:
    def page(probe: Case[Any]) -> Response:
        size, number = probe.query["pageSize"], 1 if ignore_page else probe.query["pageNumber"]
        count = -(-len(jobs) // size)
        pagination = {"currentPage": probe.query["pageNumber"], "pageCount": count, "totalCount": len(jobs)}
        return answer({"data": jobs[(number - 1) * size : number * size], "pagination": pagination})

    return page


def test_a_list_that_ignores_the_page_number_repeats_its_first_page(flatfile: BaseSchema, serve_reads: Any) -> None:
    jobs = [job(f"j{i}") for i in range(5)]
    serve_reads(_numbered(jobs, ignore_page=True))
    first = answer({"data": jobs[:2], "pagination": {"currentPage": 1, "pageCount": 3, "totalCount": 5}})
    with pytest.raises(PagesDisagree, match="already listed on page 1"):
        paging.list_pages_agree(NO_CONTEXT, first, case(flatfile, "listJobs", query={"pageSize": 2}))


def test_pages_that_agree_pass_and_a_long_list_is_walked_within_the_bound(
    flatfile: BaseSchema, serve_reads: Any
) -> None:
    jobs = [job(f"j{i}") for i in range(40)]
    sent = serve_reads(_numbered(jobs))
    first = answer({"data": jobs[:1], "pagination": {"currentPage": 1, "pageCount": 40, "totalCount": 40}})
    assert paging.list_pages_agree(NO_CONTEXT, first, case(flatfile, "listJobs", query={"pageSize": 1})) is None
    assert len(sent) == paging.MAX_PAGES  # 40 jobs at pageSize 8, not 40 pages of one
    assert {probe.query["pageSize"] for probe in sent} == {8}


def test_a_list_is_walked_once_in_a_run_and_again_in_the_next(flatfile: BaseSchema, serve_reads: Any) -> None:
    jobs = [job(f"j{i}") for i in range(4)]
    sent = serve_reads(_numbered(jobs))
    first = answer({"data": jobs[:2], "pagination": {"currentPage": 1, "pageCount": 2, "totalCount": 4}})
    listed = case(flatfile, "listJobs", query={"pageSize": 2})
    for _ in range(2):
        assert paging.list_pages_agree(NO_CONTEXT, first, listed) is None
    assert len(sent) == 2  # the second answer of the same list in one run sends nothing
    paging.forget_walks()  # what the runner does as a run starts
    assert paging.list_pages_agree(NO_CONTEXT, first, listed) is None
    assert len(sent) == 4


def test_a_total_the_pages_do_not_reach_is_a_disagreement(flatfile: BaseSchema, serve_reads: Any) -> None:
    jobs = [job(f"j{i}") for i in range(3)]

    def short(probe: Case[Any]) -> Response:
        number = probe.query["pageNumber"]
        data = jobs[(number - 1) * 2 : number * 2]
        return answer({"data": data, "pagination": {"currentPage": number, "pageCount": 2, "totalCount": 4}})

    serve_reads(short)
    first = answer({"data": jobs[:2], "pagination": {"currentPage": 1, "pageCount": 2, "totalCount": 4}})
    with pytest.raises(PagesDisagree, match="3 items"):
        paging.list_pages_agree(NO_CONTEXT, first, case(flatfile, "listJobs", query={"pageSize": 2}))


def test_a_list_that_grows_during_the_walk_is_not_judged(flatfile: BaseSchema, serve_reads: Any) -> None:
    totals = iter([5, 6, 6])

    def growing(probe: Case[Any]) -> Response:
        return answer(
            {"data": [job("same")], "pagination": {"currentPage": 1, "pageCount": 3, "totalCount": next(totals)}}
        )

    serve_reads(growing)
    first = answer({"data": [job("same")], "pagination": {"currentPage": 1, "pageCount": 3, "totalCount": 5}})
    assert paging.list_pages_agree(NO_CONTEXT, first, case(flatfile, "listJobs", query={"pageSize": 2})) is None


def test_a_page_token_that_leads_back_is_a_disagreement(sift: BaseSchema, serve_reads: Any) -> None:
    serve_reads(lambda probe: answer({"jobs": [{"jobId": "j1"}], "nextPageToken": "again"}))
    first = answer({"jobs": [{"jobId": "j1"}], "nextPageToken": "again"})
    with pytest.raises(PagesDisagree, match="page 2"):
        paging.list_pages_agree(NO_CONTEXT, first, case(sift, "listJobs", query={"pageSize": 1}))


# --- write_is_visible --------------------------------------------------------------------------------------------
def _patch(flatfile: BaseSchema) -> Case[Any]:
    return case(flatfile, "updateJob", path_parameters={"jobId": "j1"}, body={"progress": 50})


def test_an_update_the_next_read_does_not_show_was_not_stored(flatfile: BaseSchema, serve_reads: Any) -> None:
    sent = serve_reads(lambda probe: answer({"data": job("j1", progress=10, updatedAt=OLD)}))
    with pytest.raises(WriteNotVisible, match="/progress") as raised:
        writes.write_is_visible(NO_CONTEXT, answer({"data": job("j1", progress=50)}), _patch(flatfile))
    assert sent[0].path_parameters == {"jobId": "j1"} and sent[0].operation.label == "GET /jobs/{jobId}"
    assert raised.value.read_curls and "/jobs/j1" in raised.value.read_curls[0]


@pytest.mark.parametrize(
    "read",
    [
        answer({"data": job("j1", progress=10, updatedAt=LATER)}),  # written again since: cannot decide
        answer({"errors": [{"message": "Job j1 not found"}]}, status=404),  # deleted meanwhile
        answer({"data": job("j1", progress=50)}),  # stored
    ],
    ids=["overtaken", "gone", "stored"],
)
def test_a_read_that_cannot_contradict_the_update_passes(
    flatfile: BaseSchema, serve_reads: Any, read: Response
) -> None:
    serve_reads(lambda probe: read)
    assert writes.write_is_visible(NO_CONTEXT, answer({"data": job("j1", progress=50)}), _patch(flatfile)) is None


def test_a_plan_write_is_compared_where_the_plan_is(flatfile: BaseSchema, serve_reads: Any) -> None:
    mapping = [{"sourceField": {"key": "a"}, "destinationField": {"key": "a"}}]
    serve_reads(lambda probe: answer({"data": {"job": job("j1"), "plan": {"fieldMapping": []}}}))
    put = case(flatfile, "replaceJobPlan", path_parameters={"jobId": "j1"}, body={"fieldMapping": mapping})
    with pytest.raises(WriteNotVisible, match="/plan/fieldMapping"):
        writes.write_is_visible(
            NO_CONTEXT, answer({"data": {"job": job("j1"), "plan": {"fieldMapping": mapping}}}), put
        )


# --- lifecycle_move_is_real --------------------------------------------------------------------------------------
def test_a_completed_job_that_reads_back_unfinished_was_not_moved(flatfile: BaseSchema, serve_reads: Any) -> None:
    serve_reads(lambda probe: answer({"data": job("j1", status="executing", updatedAt=OLD)}))
    complete = case(flatfile, "completeJob", path_parameters={"jobId": "j1"})
    with pytest.raises(MoveNotStored, match='"complete"'):
        lifecycle.lifecycle_move_is_real(NO_CONTEXT, answer({"data": job("j1", status="complete")}), complete)


@pytest.mark.parametrize(
    ("read_status", "answered_status", "caught"),
    [("executing", "complete", False), ("executing", "executing", True)],
    ids=["another-write-in-the-same-tick", "answered-and-stored-unmoved"],
)
def test_a_read_of_the_same_version_judges_a_move_only_where_it_agrees_with_the_answer(
    flatfile: BaseSchema, serve_reads: Any, read_status: str, answered_status: str, caught: bool
) -> None:
    """Two writes can share a millisecond: a read of the answer's version that shows another status may show
    a concurrent write (a run has two workers by default), so it proves nothing; one that agrees is judged."""
    serve_reads(lambda probe: answer({"data": job("j1", status=read_status)}))
    complete = case(flatfile, "completeJob", path_parameters={"jobId": "j1"})
    moved = answer({"data": job("j1", status=answered_status)})
    if caught:
        with pytest.raises(MoveNotStored, match='"complete"'):
            lifecycle.lifecycle_move_is_real(NO_CONTEXT, moved, complete)
    else:
        assert lifecycle.lifecycle_move_is_real(NO_CONTEXT, moved, complete) is None


def test_a_move_read_back_at_its_own_version_with_other_values_is_not_judged(
    flatfile: BaseSchema, serve_reads: Any
) -> None:
    """completeJob shows `progress`: a retry stored in the same millisecond resets it; the write cannot be judged."""
    serve_reads(lambda probe: answer({"data": job("j1", status="ready", progress=0)}))
    complete = case(flatfile, "completeJob", path_parameters={"jobId": "j1"})
    moved = answer({"data": job("j1", status="complete", progress=100)})
    assert writes.write_is_visible(NO_CONTEXT, moved, complete) is None


def test_a_refused_move_is_not_judged(flatfile: BaseSchema, serve_reads: Any) -> None:
    sent = serve_reads(lambda probe: answer({"data": job("j1")}))
    refused = answer({"errors": [{"key": "status", "message": "cannot"}]}, status=400)
    complete = case(flatfile, "completeJob", path_parameters={"jobId": "j1"})
    assert lifecycle.lifecycle_move_is_real(NO_CONTEXT, refused, complete) is None
    assert sent == []


@pytest.mark.parametrize(
    ("modified", "caught"), [(OLD, True), (LATER, False)], ids=["unchanged-since-before", "changed-since"]
)
def test_a_sift_cancel_that_changed_nothing_is_caught(
    sift: BaseSchema, serve_reads: Any, modified: str, caught: bool
) -> None:
    listed = {"jobs": [{"jobId": "j1", "jobStatus": "JOB_STATUS_RUNNING", "modifiedDate": modified}]}
    sent = serve_reads(lambda probe: answer(listed))
    cancel = case(sift, "cancelJob", path_parameters={"jobId": "j1"})
    cancelled = answer({}, headers={"Date": "Thu, 01 Jan 2026 10:00:05 GMT"})
    if caught:
        with pytest.raises(MoveNotStored, match="JOB_STATUS_CANCEL"):
            lifecycle.lifecycle_move_is_real(NO_CONTEXT, cancelled, cancel)
    else:
        assert lifecycle.lifecycle_move_is_real(NO_CONTEXT, cancelled, cancel) is None
    assert sent[0].query == {"filter": 'job_id == "j1"'}
