"""Stateful Flatfile: the lifecycle table, every operation, list filters and pagination, against the spec."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.state import ErrorKind, StateEngine
from mock_server.state.flatfile import LIFECYCLE
from tests.support.state import Client, FakeClock, job_ids, new_job, spec

JOB_ACTIONS = ["ackJob", "ackJobOutcome", "completeJob", "failJob", "cancelJob", "retryJob", "executeJob", "splitJob"]


def test_first_list_is_the_documented_example(flatfile: Client) -> None:
    documented = spec("flatfile").example("listJobs", name="documented")
    assert flatfile.call("listJobs")["data"] == documented["data"]


def test_create_returns_a_fresh_job_with_id_creator_and_timestamps(flatfile: Client, clock: FakeClock) -> None:
    first = new_job(flatfile, environmentId="us_env_1", trigger="manual")
    second = new_job(flatfile)
    assert first["id"].startswith("us_jb_") and len(first["id"]) > len("us_jb_")
    assert first["id"] != second["id"]
    assert first["status"] == "created" and first["progress"] == 0
    assert first["createdBy"] and first["createdAt"] == first["updatedAt"]
    assert first["createdAt"].endswith("Z") and first["createdAt"].startswith("2026-01-02T03:04:05.")
    assert first["environmentId"] == "us_env_1" and first["trigger"] == "manual"
    assert flatfile.call("getJob", first["id"])["data"] == first


def test_create_keeps_a_given_status_and_ignores_fields_that_are_not_job_config(flatfile: Client) -> None:
    job = new_job(flatfile, status="scheduled", id="us_jb_mine", createdAt="yesterday")
    assert job["status"] == "scheduled"
    assert job["id"] != "us_jb_mine" and job["createdAt"] != "yesterday"


def test_update_changes_only_the_fields_given(flatfile: Client) -> None:
    job = new_job(flatfile, info="before")
    updated = flatfile.call("updateJob", job["id"], body={"progress": 50, "metadata": {"k": "v"}, "type": "file"})[
        "data"
    ]
    assert updated["progress"] == 50 and updated["metadata"] == {"k": "v"}
    assert updated["info"] == "before" and updated["type"] == "workbook"  # type is not a JobUpdate field
    assert updated["updatedAt"] > job["updatedAt"]
    assert flatfile.call("getJob", job["id"])["data"] == updated


@pytest.mark.parametrize(
    "operation", ["getJob", "updateJob", "deleteJob", "getJobPlan", "replaceJobPlan", "updateJobPlan", *JOB_ACTIONS]
)
def test_after_delete_every_operation_on_the_job_is_not_found(flatfile: Client, operation: str) -> None:
    job = new_job(flatfile)
    assert flatfile.call("deleteJob", job["id"]) == {"data": {"success": True}}
    body = {
        "parts": 2,
        "fileId": "us_fl_1",
        "jobId": job["id"],
        "fieldMapping": [],
        "unmappedSourceFields": [],
        "unmappedDestinationFields": [],
    }
    error = flatfile.refused(operation, job["id"], body=body)
    assert (error.status, error.kind, error.field) == (404, ErrorKind.NOT_FOUND, "jobId")
    assert error.message == f"Job {job['id']} not found"
    assert job["id"] not in job_ids(flatfile.call("listJobs")["data"])


def test_the_whole_happy_path(flatfile: Client) -> None:
    job = new_job(flatfile)
    assert flatfile.call("executeJob", job["id"]) == {"data": {"success": True}}
    assert flatfile.call("getJob", job["id"])["data"]["status"] == "ready"
    acked = flatfile.call(
        "ackJob", job["id"], body={"info": "Starting", "progress": 10, "estimatedCompletionAt": "2026-01-02T04:00:00Z"}
    )["data"]
    assert (acked["status"], acked["progress"], acked["info"]) == ("executing", 10, "Starting")
    assert "startedAt" in acked
    again = flatfile.call("ackJob", job["id"], body={"progress": 60})["data"]
    assert again["progress"] == 60 and again["startedAt"] == acked["startedAt"]
    outcome = {"message": "Done", "heading": "All good"}
    complete = flatfile.call("completeJob", job["id"], body={"outcome": outcome, "info": "Finished"})["data"]
    assert (complete["status"], complete["progress"], complete["outcome"], complete["info"]) == (
        "complete",
        100,
        outcome,
        "Finished",
    )
    assert "finishedAt" in complete and "outcomeAcknowledgedAt" not in complete
    seen = flatfile.call("ackJobOutcome", job["id"])["data"]
    assert seen["status"] == "complete" and seen["outcomeAcknowledgedAt"] >= complete["finishedAt"]


def test_fail_then_retry_makes_the_job_ready_again(flatfile: Client) -> None:
    job = new_job(flatfile)
    flatfile.call("executeJob", job["id"])
    flatfile.call("ackJob", job["id"])
    failed = flatfile.call("failJob", job["id"], body={"outcome": {"message": "Job failed"}, "info": "Job was failed"})[
        "data"
    ]
    assert failed["status"] == "failed" and failed["outcome"] == {"message": "Job failed"} and "finishedAt" in failed
    flatfile.call("ackJobOutcome", job["id"])
    retried = flatfile.call("retryJob", job["id"])["data"]
    assert retried["status"] == "ready" and retried["progress"] == 0
    assert not {"finishedAt", "outcome", "outcomeAcknowledgedAt"} & retried.keys()


@pytest.mark.parametrize("status", ["created", "planning", "scheduled", "waiting", "ready", "executing"])
def test_cancel_works_from_every_unfinished_status(flatfile: Client, status: str) -> None:
    job = new_job(flatfile, status=status)
    canceled = flatfile.call("cancelJob", job["id"], body={"info": "Canceled by the user"})["data"]
    assert canceled["status"] == "canceled" and canceled["info"] == "Canceled by the user" and "finishedAt" in canceled


@pytest.mark.parametrize("status", ["created", "planning", "scheduled", "waiting"])
def test_execute_works_from_every_unstarted_status(flatfile: Client, status: str) -> None:
    job = new_job(flatfile, status=status)
    flatfile.call("executeJob", job["id"])
    assert flatfile.call("getJob", job["id"])["data"]["status"] == "ready"


ALL_STATUSES = ["created", "planning", "scheduled", "ready", "executing", "complete", "failed", "canceled", "waiting"]


@pytest.mark.parametrize(
    "action", ["executeJob", "ackJob", "completeJob", "failJob", "cancelJob", "retryJob", "ackJobOutcome", "splitJob"]
)
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_the_lifecycle_table_decides_every_action_in_every_status(flatfile: Client, action: str, status: str) -> None:
    job = new_job(flatfile, status=status)
    allowed = any(status in transition.sources for transition in LIFECYCLE.actions[action].transitions)
    body = {"parts": 1}
    if allowed:
        flatfile.call(action, job["id"], body=body)
        return
    error = flatfile.refused(action, job["id"], body=body)
    assert (error.status, error.kind, error.field) == (400, ErrorKind.FAILED_PRECONDITION, "status")
    assert f"its status is {status}" in error.message and job["id"] in error.message
    assert flatfile.call("getJob", job["id"])["data"] == job  # a refused action changes nothing


def test_the_table_matches_the_documented_lifecycle() -> None:
    def sources(action: str) -> set[str]:
        return set().union(*(t.sources for t in LIFECYCLE.actions[action].transitions))

    assert sources("executeJob") == {"created", "planning", "scheduled", "waiting"}
    assert sources("retryJob") == {"failed"}
    assert sources("ackJobOutcome") == {"complete", "failed", "canceled"}
    unfinished = {"created", "planning", "scheduled", "ready", "executing", "waiting"}
    for action in ("completeJob", "failJob", "cancelJob"):
        assert sources(action) == unfinished, action


def test_split_creates_numbered_parts_and_marks_the_parent(flatfile: Client) -> None:
    parent = new_job(flatfile, environmentId="us_env_9")
    split = flatfile.call(
        "splitJob", parent["id"], body={"parts": [{"rows": "1-10"}, {"rows": "11-20"}], "runInParallel": True}
    )["data"]
    assert split["partExecution"] == "parallel" and split["id"] == parent["id"]
    parts = flatfile.call("listJobs", parentId=parent["id"], sortDirection="asc")["data"]
    assert [(p["part"], p["partData"], p["parentId"]) for p in parts] == [
        (1, {"rows": "1-10"}, parent["id"]),
        (2, {"rows": "11-20"}, parent["id"]),
    ]
    assert all(
        p["status"] == "created" and p["environmentId"] == "us_env_9" and "predecessorIds" not in p for p in parts
    )


def test_a_sequential_split_chains_its_parts(flatfile: Client) -> None:
    parent = new_job(flatfile)
    assert flatfile.call("splitJob", parent["id"], body={"parts": 3})["data"]["partExecution"] == "sequential"
    parts = flatfile.call("listJobs", parentId=parent["id"], sortDirection="asc")["data"]
    assert [p["part"] for p in parts] == [1, 2, 3] and all(p["partData"] == {} for p in parts)
    assert [p.get("predecessorIds") for p in parts] == [None, [parts[0]["id"]], [parts[1]["id"]]]


@pytest.mark.parametrize(
    ("parts", "message"), [(0, "at least 1"), (101, "at most 100"), ([], "at least 1"), ("two", "number of parts")]
)
def test_split_refuses_bad_parts(flatfile: Client, parts: object, message: str) -> None:
    job = new_job(flatfile)
    error = flatfile.refused("splitJob", job["id"], body={"parts": parts})
    assert (error.status, error.field) == (400, "parts") and message in error.message
    assert flatfile.call("getJob", job["id"])["data"] == job


def test_plan_is_empty_then_replaced_then_merged(flatfile: Client) -> None:
    job = new_job(flatfile)
    empty = flatfile.call("getJobPlan", job["id"])["data"]
    assert empty == {
        "job": job,
        "plan": {"fieldMapping": [], "unmappedSourceFields": [], "unmappedDestinationFields": []},
    }
    documented = spec("flatfile").operation("replaceJobPlan")["requestBody"]["content"]["application/json"]["examples"][
        "documented"
    ]["value"]
    replaced = flatfile.call("replaceJobPlan", job["id"], body={**documented, "jobId": job["id"]})["data"]["plan"]
    assert replaced == {
        key: documented[key] for key in ("fieldMapping", "unmappedSourceFields", "unmappedDestinationFields")
    }
    merged = flatfile.call(
        "updateJobPlan", job["id"], body={"fileId": "us_fl_1", "jobId": job["id"], "programId": "us_mp_1"}
    )["data"]["plan"]
    assert merged == {**replaced, "programId": "us_mp_1"}
    assert flatfile.call("getJobPlan", job["id"])["data"]["plan"] == merged
    assert "fileId" not in merged and "jobId" not in merged


def test_preview_mutation_is_an_empty_diff(flatfile: Client) -> None:
    assert flatfile.call("previewMutation", body={"sheetId": "us_sh_1", "mutateRecord": "(r) => r"}) == {"data": []}


def _jobs_for_filters(flatfile: Client) -> dict[str, dict[str, object]]:
    return {
        "a": new_job(flatfile, environmentId="us_env_A", fileId="us_fl_A", source="us_wb_A"),
        "b": new_job(flatfile, environmentId="us_env_B", source="us_wb_B", destination="us_wb_A"),
        "c": new_job(flatfile, environmentId="us_env_A", source="us_fl_C"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"environmentId": "us_env_A"}, {"a", "c"}),
        ({"fileId": "us_fl_A"}, {"a"}),
        ({"source": "us_wb_B"}, {"b"}),
        ({"workbookId": "us_wb_A"}, {"a", "b"}),
        ({"environmentId": "us_env_A", "source": "us_fl_C"}, {"c"}),
        ({"environmentId": "us_env_nobody"}, set()),
    ],
)
def test_list_filters_combine_with_and(flatfile: Client, query: dict[str, str], expected: set[str]) -> None:
    jobs = _jobs_for_filters(flatfile)
    listed = set(job_ids(flatfile.call("listJobs", **query)["data"]))
    assert listed == {jobs[name]["id"] for name in expected}


def test_space_filter_finds_the_seeded_job(flatfile: Client) -> None:
    new_job(flatfile)
    assert job_ids(flatfile.call("listJobs", spaceId="us_sp_YOUR_ID")["data"]) == ["us_jb_YOUR_ID"]


def test_exclude_child_jobs_unless_a_parent_is_named(flatfile: Client) -> None:
    parent = new_job(flatfile)
    flatfile.call("splitJob", parent["id"], body={"parts": 2})
    assert len(flatfile.call("listJobs")["data"]) == 4
    top = flatfile.call("listJobs", excludeChildJobs="true")["data"]
    assert set(job_ids(top)) == {parent["id"], "us_jb_YOUR_ID"}
    assert len(flatfile.call("listJobs", excludeChildJobs=True, parentId=parent["id"])["data"]) == 2
    assert len(flatfile.call("listJobs", excludeChildJobs="false")["data"]) == 4


def test_sort_direction_orders_by_creation(flatfile: Client) -> None:
    created = [new_job(flatfile)["id"] for _ in range(3)]
    assert job_ids(flatfile.call("listJobs")["data"]) == [*reversed(created), "us_jb_YOUR_ID"]
    assert job_ids(flatfile.call("listJobs", sortDirection="asc")["data"]) == ["us_jb_YOUR_ID", *created]


@pytest.mark.parametrize(
    ("page_size", "page_number", "expected_slice", "page_count"),
    [
        (2, 1, slice(0, 2), 3),
        (2, 3, slice(4, 5), 3),
        (2, 4, slice(5, 5), 3),
        (5, 1, slice(0, 5), 1),
        (1, 5, slice(4, 5), 5),
    ],
)
def test_pagination_numbers_are_true(
    flatfile: Client, page_size: int, page_number: int, expected_slice: slice, page_count: int
) -> None:
    for _ in range(4):
        new_job(flatfile)
    everything = job_ids(flatfile.call("listJobs", pageSize=100)["data"])
    page = flatfile.call("listJobs", pageSize=str(page_size), pageNumber=page_number)
    assert job_ids(page["data"]) == everything[expected_slice]
    assert page["pagination"] == {"currentPage": page_number, "pageCount": page_count, "totalCount": 5}


def test_default_page_size_is_twenty(flatfile: Client) -> None:
    for _ in range(21):
        new_job(flatfile)
    page = flatfile.call("listJobs")
    assert len(page["data"]) == 20 and page["pagination"] == {"currentPage": 1, "pageCount": 2, "totalCount": 22}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"pageSize": 0}, "pageSize"),
        ({"pageNumber": "x"}, "pageNumber"),
        ({"sortDirection": "up"}, "sortDirection"),
        ({"excludeChildJobs": "yes"}, "excludeChildJobs"),
    ],
)
def test_bad_list_parameters_are_named(flatfile: Client, query: dict[str, Any], field: str) -> None:
    error = flatfile.refused("listJobs", **query)
    assert (error.status, error.kind, error.field) == (400, ErrorKind.INVALID_ARGUMENT, field)


def test_every_operation_of_the_spec_is_handled(engine: StateEngine) -> None:
    operation_ids = {
        operation["operationId"]
        for item in spec("flatfile").document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert len(operation_ids) == 17
    assert all(engine.handles("flatfile", operation_id) for operation_id in operation_ids)


def test_a_page_far_past_the_end_is_empty(flatfile: Client) -> None:
    page = flatfile.call("listJobs", pageSize=10**30, pageNumber=10**30)
    assert page == {"data": [], "pagination": {"currentPage": 10**30, "pageCount": 1, "totalCount": 1}}
