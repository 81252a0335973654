"""The requests the benchmark sends: what each scenario asks and what both servers must answer."""

import json
from dataclasses import dataclass
from typing import Any

from bench.prism_spec import base_path
from bench.spec import first_request_example, load_spec, resolve, response_schema

TOKEN = "bench-token"
JOB_ID = "us_jb_bench42"
SIFT_JOB_ID = "0b5e3c1a-6d2f-4e8b-9a7c-1f3d5e7a9b42"
FLATFILE_HEADERS = {"Authorization": f"Bearer {TOKEN}", "X-Disable-Hooks": "true"}
JSON_HEADERS = {**FLATFILE_HEADERS, "Content-Type": "application/json"}


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    api: str
    method: str
    path: str
    expected_status: int
    headers: dict[str, str]
    body: bytes | None = None
    # The operation whose documented response the mock's answer must match; None for an unknown path.
    operation_id: str | None = None
    # When there is no operation: the schema ($ref) that the API's error body follows.
    error_schema_ref: str | None = None
    measures_ceiling: bool = False

    def documented_schema(self) -> dict[str, Any]:
        spec = load_spec(self.api)
        if self.operation_id is None:
            schema: dict[str, Any] = resolve(spec, {"$ref": self.error_schema_ref})
            return schema
        return response_schema(spec, self.operation_id, self.expected_status)


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _url_path(api: str, path: str) -> str:
    """A path of the spec as a client sends it: after the base path of the spec's server URL."""
    return base_path(load_spec(api)) + path


def all_scenarios() -> list[Scenario]:
    plan = first_request_example(load_spec("flatfile"), "replaceJobPlan")
    return [
        Scenario(
            "get-job",
            "Get a job (auth + header validation)",
            "flatfile",
            "GET",
            _url_path("flatfile", f"/jobs/{JOB_ID}"),
            200,
            FLATFILE_HEADERS,
            operation_id="getJob",
            measures_ceiling=True,
        ),
        Scenario(
            "list-jobs",
            "List jobs with query parameters",
            "flatfile",
            "GET",
            _url_path(
                "flatfile",
                "/jobs?environmentId=us_env_bench&pageSize=10&pageNumber=2&sortDirection=asc&excludeChildJobs=true",
            ),
            200,
            FLATFILE_HEADERS,
            operation_id="listJobs",
        ),
        Scenario(
            "replace-plan",
            "Replace a plan (PUT, documented body)",
            "flatfile",
            "PUT",
            _url_path("flatfile", f"/jobs/{JOB_ID}/plan"),
            200,
            JSON_HEADERS,
            _json(plan),
            operation_id="replaceJobPlan",
        ),
        Scenario(
            "invalid-body",
            "Replace a plan with an invalid body (400)",
            "flatfile",
            "PUT",
            _url_path("flatfile", f"/jobs/{JOB_ID}/plan"),
            400,
            JSON_HEADERS,
            _json({"fieldMapping": "not-a-list", "fileId": 42}),
            operation_id="replaceJobPlan",
        ),
        Scenario(
            "sift-retry",
            "Sift :retry (colon route)",
            "sift",
            "POST",
            _url_path("sift", f"/api/v1/jobs/{SIFT_JOB_ID}:retry"),
            200,
            {"Authorization": f"Bearer {TOKEN}"},
            operation_id="retryJob",
        ),
        Scenario(
            "unknown-path",
            "Unknown path (404)",
            "flatfile",
            "GET",
            _url_path("flatfile", "/no-such-resource"),
            404,
            FLATFILE_HEADERS,
            error_schema_ref="#/components/schemas/Errors",
        ),
    ]


STATE_GET, STATE_LIST, STATE_CREATE = "state-get", "state-list", "state-create"
STATE_PAGE_SIZE = 20


def create_job_scenario() -> Scenario:
    """Create a job with the spec's documented body: the stateful scenario, and how the store is filled."""
    return Scenario(
        STATE_CREATE,
        "Create a job (stateful)",
        "flatfile",
        "POST",
        _url_path("flatfile", "/jobs"),
        200,
        JSON_HEADERS,
        _json(first_request_example(load_spec("flatfile"), "createJob")),
        operation_id="createJob",
    )


def list_page_scenario() -> Scenario:
    """The second page of 20 jobs, newest first."""
    return Scenario(
        STATE_LIST,
        f"List a page of {STATE_PAGE_SIZE} jobs (stateful)",
        "flatfile",
        "GET",
        _url_path("flatfile", f"/jobs?pageSize={STATE_PAGE_SIZE}&pageNumber=2"),
        200,
        FLATFILE_HEADERS,
        operation_id="listJobs",
    )


def stateful_scenarios(job_id: str) -> list[Scenario]:
    """Get a job that exists, a page of 20 jobs, a create; in the order they run (a create grows the store)."""
    get = Scenario(
        STATE_GET,
        "Get a job that exists (stateful)",
        "flatfile",
        "GET",
        _url_path("flatfile", f"/jobs/{job_id}"),
        200,
        FLATFILE_HEADERS,
        operation_id="getJob",
    )
    return [get, list_page_scenario(), create_job_scenario()]
