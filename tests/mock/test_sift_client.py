"""The mock's Sift answers as Sift's own Python client reads them: the protobuf messages of `sift-stack-py`
0.25.0, parsed with `json_format.Parse(..., ignore_unknown_fields=False)`, errors as `google.rpc.Status`.

A body these messages refuse (two members of a oneof, an int64 that is not a number, an unknown field, a
wrong enum name) is one no real Sift server sends, whatever the spec's schema accepts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from jobs_openapi import spec_path
from sift.jobs.v1 import jobs_pb2

from mock_server.app import build_app
from mock_server.settings import Limits, Settings
from mock_server.spec import load_api
from tests.support.servers import AsgiClient

AUTH = {"Authorization": "Bearer sift-client"}
FAILED_JOB = "5f1c3a9e-8a4b-4d1e-9a7c-2e6b1d0f3c41"
RUNNING_JOB = "c7e4a1f0-6d2b-4e9c-8a5f-1b3d9e7c2a60"
UNKNOWN_JOB = "0d9e8f7a-6b5c-4d3e-a2f1-0e9d8c7b6a54"
SIFT = load_api("sift")

# The response message of each operation, as the service declares it (JobService in sift/jobs/v1/jobs.proto).
RESPONSE_MESSAGES: dict[str, type[Message]] = {
    method.name[0].lower() + method.name[1:]: getattr(jobs_pb2, method.output_type.name)
    for method in jobs_pb2.DESCRIPTOR.services_by_name["JobService"].methods
}
# An operation's default answer in stateful mode depends on the job: one its action is allowed on.
JOB_FOR = {"retryJob": FAILED_JOB, "cancelJob": RUNNING_JOB}
# HTTP statuses as gRPC-gateway maps gRPC codes (runtime.HTTPStatusFromCode) for the codes Sift answers with.
GATEWAY_STATUS = {3: 400, 5: 404, 9: 400, 16: 401}
BAD_REQUEST = "type.googleapis.com/" + error_details_pb2.BadRequest.DESCRIPTOR.full_name


def parse(text: str, message_type: type[Message]) -> Any:
    """`text` read into `message_type` as the client does; ParseError when no Sift server could send it."""
    return json_format.Parse(text, message_type(), ignore_unknown_fields=False)


def read_answer(operation_id: str, response: httpx.Response) -> Any:
    """A 2xx as the operation's response message, anything else as `google.rpc.Status`."""
    assert response.headers["content-type"] == "application/json"
    message_type = RESPONSE_MESSAGES[operation_id] if 200 <= response.status_code < 300 else status_pb2.Status
    return parse(response.text, message_type)


def read_error(response: httpx.Response, code: int) -> Any:
    status = parse(response.text, status_pb2.Status)
    assert status.code == code, response.text
    assert status.message
    return status


def url(operation_id: str) -> str:
    (operation,) = [operation for operation in SIFT.operations if operation.operation_id == operation_id]
    return operation.url_path.replace("{jobId}", JOB_FOR.get(operation_id, FAILED_JOB))


def call(client: AsgiClient, operation_id: str, **headers: str) -> httpx.Response:
    (operation,) = [operation for operation in SIFT.operations if operation.operation_id == operation_id]
    return client.request(operation.method, url(operation_id), headers={**AUTH, **headers})


@pytest.fixture(scope="module", params=["static", "stateful"])
def app(request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    """The mock of both APIs (so Flatfile's paths compete for unknown ones), in each mode."""
    built = build_app(Settings(mode=request.param))
    yield request.param, built.asgi
    built.close()


@pytest.fixture
def client(app: tuple[str, Any]) -> Iterator[AsgiClient]:
    mode, asgi = app
    http = AsgiClient(asgi)
    if mode == "stateful":
        assert http.post("/__mock/reset").status_code == 200  # every test starts from the seeded jobs
    yield http
    http.close()


EXAMPLES = [
    (operation.operation_id, status, name)
    for operation in SIFT.operations
    for status, response in operation.responses.items()
    for name in response.examples
]


def test_the_response_messages_are_the_services() -> None:
    assert {name: message.DESCRIPTOR.full_name for name, message in RESPONSE_MESSAGES.items()} == {
        "listJobs": "sift.jobs.v1.ListJobsResponse",
        "cancelJob": "sift.jobs.v1.CancelJobResponse",
        "retryJob": "sift.jobs.v1.RetryJobResponse",
    }


@pytest.mark.parametrize(("operation_id", "status", "name"), EXAMPLES, ids=["-".join(map(str, e)) for e in EXAMPLES])
def test_every_example_the_mock_serves_is_one_sift_could_send(
    client: AsgiClient, operation_id: str, status: int, name: str
) -> None:
    response = call(client, operation_id, Prefer=f"example={name}")
    assert response.status_code == status
    if name == "documented":
        # The seed page's payload, kept verbatim on purpose; the spec says why it is never the default.
        with pytest.raises(json_format.ParseError, match='should not have multiple "status" oneof fields'):
            read_answer(operation_id, response)
        return
    answer = read_answer(operation_id, response)
    if status >= 400:
        assert GATEWAY_STATUS[answer.code] == status


@pytest.mark.parametrize("operation_id", list(RESPONSE_MESSAGES))
def test_the_default_answer_of_every_operation_parses(client: AsgiClient, operation_id: str) -> None:
    response = call(client, operation_id)
    assert response.status_code == 200, response.text
    read_answer(operation_id, response)


@pytest.mark.parametrize(
    ("operation_id", "status"),
    [(operation.operation_id, status) for operation in SIFT.operations for status in operation.responses],
)
def test_the_default_answer_of_every_status_parses(client: AsgiClient, operation_id: str, status: int) -> None:
    response = call(client, operation_id, Prefer=f"code={status}")
    assert response.status_code == status
    answer = read_answer(operation_id, response)
    if status >= 400:
        assert GATEWAY_STATUS[answer.code] == status


@pytest.mark.parametrize("operation_id", list(RESPONSE_MESSAGES))
def test_no_token_is_unauthenticated(client: AsgiClient, operation_id: str) -> None:
    (operation,) = [operation for operation in SIFT.operations if operation.operation_id == operation_id]
    response = client.request(operation.method, url(operation_id))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    read_error(response, 16)


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"pageSize": "-1", "orderBy": "name"}, ["pageSize", "orderBy"]),
        ({"pageSize": "many"}, ["pageSize"]),
        ({"filter": "((("}, ["filter"]),
        ({"filter": 'job_status == == "JOB_STATUS_FAILED"'}, ["filter"]),
    ],
    ids=["two-bad-parameters", "page-size-not-a-number", "filter-unbalanced", "filter-double-operator"],
)
def test_bad_parameters_are_invalid_arguments_with_field_violations(
    client: AsgiClient, query: dict[str, str], fields: list[str]
) -> None:
    response = client.get("/api/v1/jobs", params=query, headers=AUTH)
    assert response.status_code == 400
    status = read_error(response, 3)
    (detail,) = status.details
    assert detail.type_url == BAD_REQUEST
    bad_request = error_details_pb2.BadRequest()
    assert detail.Unpack(bad_request)
    assert [violation.field for violation in bad_request.field_violations] == fields
    if fields == ["filter"]:
        assert "invalid filter: syntax error at line 1, column" in status.message


@pytest.mark.parametrize("path", ["/api/v1/jobz", "/api/v1", "/api/v1/jobs/x/y"])
def test_an_unknown_path_under_api_v1_is_not_found(client: AsgiClient, path: str) -> None:
    response = client.get(path, headers=AUTH)
    assert response.status_code == 404
    assert path in read_error(response, 5).message


@pytest.mark.parametrize(("method", "path"), [("GET", f"/api/v1/jobs/{FAILED_JOB}:retry"), ("DELETE", "/api/v1/jobs")])
def test_a_wrong_method_is_unimplemented(client: AsgiClient, method: str, path: str) -> None:
    # gRPC-gateway's routing answers a method it has no binding for as UNIMPLEMENTED (12).
    response = client.request(method, path, headers=AUTH)
    assert response.status_code == 405
    read_error(response, 12)


def test_an_oversized_body_is_resource_exhausted(tmp_path: Path) -> None:
    """No Sift operation reads a body (their HTTP rules have none); a google.rpc.Status spec of one's own that
    declares one gets the 413 in that shape."""
    document = yaml.safe_load(spec_path("sift").read_text(encoding="utf-8"))
    document["paths"]["/api/v1/jobs/{jobId}:cancel"]["post"]["requestBody"] = {
        "content": {"application/json": {"schema": {"type": "object"}}}
    }
    spec = tmp_path / "sift-with-body.yaml"
    spec.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    client = AsgiClient(build_app(Settings(apis=(str(spec),), limits=Limits(max_body_bytes=64))).asgi)
    try:
        response = client.post(f"/api/v1/jobs/{RUNNING_JOB}:cancel", headers=AUTH, json={"padding": "x" * 100})
    finally:
        client.close()
    assert response.status_code == 413
    read_error(response, 8)


@pytest.fixture
def stateful() -> Iterator[AsgiClient]:
    built = build_app(Settings(apis=("sift",), mode="stateful"))
    http = AsgiClient(built.asgi)
    yield http
    http.close()
    built.close()


def jobs(client: AsgiClient, **query: str) -> dict[str, Any]:
    response = client.get("/api/v1/jobs", params=query, headers=AUTH)
    assert response.status_code == 200, response.text
    listed = read_answer("listJobs", response)
    return {job.job_id: job for job in listed.jobs}


def test_a_stateful_lifecycle_reads_as_sifts_messages(stateful: AsgiClient) -> None:
    status = jobs_pb2.JobStatus
    before = jobs(stateful)
    assert before[FAILED_JOB].job_status == status.JOB_STATUS_FAILED
    assert before[FAILED_JOB].job_status_details.WhichOneof("status") == "data_import"

    retried = read_answer("retryJob", stateful.post(f"/api/v1/jobs/{FAILED_JOB}:retry", headers=AUTH)).job
    assert (retried.job_id, retried.job_status) == (FAILED_JOB, status.JOB_STATUS_CREATED)
    assert not retried.HasField("completed_date") and not retried.HasField("started_date")
    assert retried.job_status_details.data_import.points_total == 4_000_000
    assert retried.job_status_details.data_import.points_processed == 0

    again = stateful.post(f"/api/v1/jobs/{FAILED_JOB}:retry", headers=AUTH)
    assert again.status_code == 400
    assert "JOB_STATUS_CREATED" in read_error(again, 9).message

    cancelled = stateful.post(f"/api/v1/jobs/{FAILED_JOB}:cancel", headers=AUTH)
    assert cancelled.status_code == 200
    assert read_answer("cancelJob", cancelled) == jobs_pb2.CancelJobResponse()

    after = jobs(stateful)[FAILED_JOB]
    assert after.job_status == status.JOB_STATUS_CANCELLED
    assert after.HasField("completed_date") and after.modified_date.ToDatetime() >= retried.modified_date.ToDatetime()
    assert jobs(stateful, filter='job_status == "JOB_STATUS_CANCELLED"').keys() == {FAILED_JOB}

    finished = stateful.post(f"/api/v1/jobs/{FAILED_JOB}:cancel", headers=AUTH)
    assert finished.status_code == 400
    read_error(finished, 9)
    missing = stateful.post(f"/api/v1/jobs/{UNKNOWN_JOB}:retry", headers=AUTH)
    assert missing.status_code == 404
    assert UNKNOWN_JOB in read_error(missing, 5).message
