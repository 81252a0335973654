"""Stateful mode through the mock's real app: the responder, sessions, journal, control endpoints, lifespan."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from psycopg_pool import PoolClosed

from mock_server.app import build_app
from mock_server.settings import Settings
from mock_server.spec import load_api
from mock_server.state import StateEngine, StateRequest
from mock_server.state.flatfile import LIFECYCLE as FLATFILE_LIFECYCLE
from mock_server.state.mode import StatefulMode
from mock_server.state.ticker import AutoAdvancer
from mock_server.wire import UNEXPECTED_FAILURE
from tests.support.servers import AsgiClient
from tests.support.state import STORES, FakeClock, rules, stores_of

FLATFILE = {"Authorization": "Bearer token", "X-Disable-Hooks": "true"}
SIFT = {"Authorization": "Bearer token"}
SIFT_RUNNING = "c7e4a1f0-6d2b-4e9c-8a5f-1b3d9e7c2a60"
SIFT_FAILED = "5f1c3a9e-8a4b-4d1e-9a7c-2e6b1d0f3c41"
SIFT_UNKNOWN = "0d9e8f7a-6b5c-4d3e-a2f1-0e9d8c7b6a54"
NEW_JOB = {"type": "workbook", "operation": "submitAction", "source": "us_wb_1"}
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module", params=STORES)
def stateful(request: pytest.FixtureRequest) -> Iterator[tuple[StateEngine, Any]]:
    """The mock in stateful mode on each store, built once for this module (building it compiles every validator)."""
    shared = StateEngine(stores_of(request.param, request)(), rules(), FakeClock())
    app = build_app(Settings(), mode_factory=lambda apis, _settings: StatefulMode(shared, apis))
    yield shared, app.asgi
    app.close()


@pytest.fixture
def http(stateful: tuple[StateEngine, Any]) -> Iterator[AsgiClient]:
    shared, app = stateful
    shared.reset()
    client = AsgiClient(app)
    yield client
    client.close()


def create(http: AsgiClient, **headers: str) -> dict[str, Any]:
    response = http.post("/v1/jobs", json=NEW_JOB, headers={**FLATFILE, **headers})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_jobs_live_through_the_pipeline(http: AsgiClient, assert_conforms: Any) -> None:
    job = create(http)
    fetched = http.get(f"/v1/jobs/{job['id']}", headers=FLATFILE)
    assert fetched.json()["data"] == job
    assert_conforms("flatfile", "GET", "/jobs/{jobId}", fetched)
    listed = http.get("/v1/jobs", params={"pageSize": 1}, headers=FLATFILE)
    assert listed.json()["pagination"] == {"currentPage": 1, "pageCount": 2, "totalCount": 2}
    assert_conforms("flatfile", "GET", "/jobs", listed)
    assert http.request("DELETE", f"/v1/jobs/{job['id']}", headers=FLATFILE).status_code == 200
    gone = http.get(f"/v1/jobs/{job['id']}", headers=FLATFILE)
    assert gone.status_code == 404
    assert gone.json() == {"errors": [{"key": "jobId", "message": f"Job {job['id']} not found"}]}
    assert_conforms("flatfile", "GET", "/jobs/{jobId}", gone)


def test_a_flatfile_job_lives_its_whole_life_over_http(http: AsgiClient, assert_conforms: Any) -> None:
    session = {**FLATFILE, "X-Mock-Session": "life"}
    job = http.post(
        "/v1/jobs", json={**NEW_JOB, "environmentId": "us_env_life", "fileId": "us_fl_life"}, headers=session
    ).json()["data"]
    url = f"/v1/jobs/{job['id']}"
    steps = [
        ("/execute", None, "ready"),
        ("/ack", {"info": "starting", "progress": 10}, "executing"),
        ("/complete", {"outcome": {"message": "done"}}, "complete"),
    ]
    for action, body, status in steps:
        answer = http.post(url + action, headers=session, **({"json": body} if body else {}))
        assert answer.status_code == 200, answer.text
        assert_conforms("flatfile", "POST", "/jobs/{jobId}" + action, answer)
        assert http.get(url, headers=session).json()["data"]["status"] == status
    done = http.get(url, headers=session).json()["data"]
    assert done["progress"] == 100 and done["outcome"] == {"message": "done"} and done["info"] == "starting"
    assert {"startedAt", "finishedAt"} <= done.keys()
    mine = http.get("/v1/jobs", params={"fileId": "us_fl_life", "environmentId": "us_env_life"}, headers=session)
    assert [listed["id"] for listed in mine.json()["data"]] == [job["id"]]
    assert_conforms("flatfile", "GET", "/jobs", mine)
    assert http.get("/v1/jobs", params={"environmentId": "us_env_other"}, headers=session).json()["data"] == []
    second = http.get("/v1/jobs", params={"pageSize": 1, "pageNumber": 2, "sortDirection": "asc"}, headers=session)
    assert second.json()["pagination"] == {"currentPage": 2, "pageCount": 2, "totalCount": 2}
    assert [listed["id"] for listed in second.json()["data"]] == [job["id"]]
    assert http.request("DELETE", url, headers=session).status_code == 200
    for method, suffix in [
        ("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/execute"), ("GET", "/plan"), ("POST", "/ack"),
        ("POST", "/outcome/ack"), ("POST", "/complete"), ("POST", "/fail"), ("POST", "/cancel"), ("POST", "/retry"),
    ]:  # fmt: skip
        body = {"json": {"info": "x"}} if method == "PATCH" else {}
        gone = http.request(method, url + suffix, headers=session, **body)
        assert gone.status_code == 404, (method, suffix, gone.text)
        assert gone.json() == {"errors": [{"key": "jobId", "message": f"Job {job['id']} not found"}]}


def test_sift_errors_carry_the_grpc_code_of_their_kind(http: AsgiClient, assert_conforms: Any) -> None:
    refused = http.post(f"/api/v1/jobs/{SIFT_RUNNING}:retry", headers=SIFT)
    assert (refused.status_code, refused.json()["code"]) == (400, 9)  # FAILED_PRECONDITION
    unknown = http.post(f"/api/v1/jobs/{SIFT_UNKNOWN}:cancel", headers=SIFT)
    assert (unknown.status_code, unknown.json()["code"]) == (404, 5)  # NOT_FOUND
    bad_filter = http.get("/api/v1/jobs", params={"filter": "job_status =="}, headers=SIFT)
    assert (bad_filter.status_code, bad_filter.json()["code"]) == (400, 3)  # INVALID_ARGUMENT
    assert bad_filter.json()["details"][0]["fieldViolations"][0]["field"] == "filter"
    for path, response in [
        ("/api/v1/jobs/{jobId}:retry", refused),
        ("/api/v1/jobs/{jobId}:cancel", unknown),
        ("/api/v1/jobs", bad_filter),
    ]:
        assert_conforms("sift", "GET" if path == "/api/v1/jobs" else "POST", path, response)


def test_a_failed_sift_job_is_retried_and_filtered_by_cel(http: AsgiClient, assert_conforms: Any) -> None:
    retried = http.post(f"/api/v1/jobs/{SIFT_FAILED}:retry", headers=SIFT)
    assert retried.json()["job"]["jobStatus"] == "JOB_STATUS_CREATED"
    assert_conforms("sift", "POST", "/api/v1/jobs/{jobId}:retry", retried)
    created = http.get("/api/v1/jobs", params={"filter": 'job_status == "JOB_STATUS_CREATED"'}, headers=SIFT)
    assert [job["jobId"] for job in created.json()["jobs"]] == [SIFT_FAILED]
    again = http.post(f"/api/v1/jobs/{SIFT_FAILED}:retry", headers=SIFT)
    assert again.status_code == 400 and again.json()["message"].endswith("in status JOB_STATUS_CREATED")


def test_a_refused_transition_is_a_400_in_each_api_shape(http: AsgiClient, assert_conforms: Any) -> None:
    job = create(http)
    refused = http.post(f"/v1/jobs/{job['id']}/retry", headers=FLATFILE)
    assert refused.status_code == 400
    assert refused.json() == {
        "errors": [{"key": "status", "message": f"Job {job['id']} cannot be retried: its status is created"}]
    }
    assert_conforms("flatfile", "POST", "/jobs/{jobId}/retry", refused)
    sift = http.post(f"/api/v1/jobs/{SIFT_RUNNING}:retry", headers=SIFT)
    assert sift.status_code == 400
    assert sift.json()["message"] == f"job {SIFT_RUNNING} cannot be retried in status JOB_STATUS_RUNNING"
    assert_conforms("sift", "POST", "/api/v1/jobs/{jobId}:retry", sift)


def test_sift_list_and_cancel(http: AsgiClient, assert_conforms: Any) -> None:
    page = http.get("/api/v1/jobs", params={"pageSize": 2, "filter": 'job_status != "JOB_STATUS_FAILED"'}, headers=SIFT)
    assert [job["jobId"] for job in page.json()["jobs"]][:1] == [SIFT_RUNNING] and "nextPageToken" not in page.json()
    assert_conforms("sift", "GET", "/api/v1/jobs", page)
    bad = http.get("/api/v1/jobs", params={"filter": "job_status =="}, headers=SIFT)
    assert bad.status_code == 400 and bad.json()["message"].startswith("invalid filter: syntax error")
    assert_conforms("sift", "GET", "/api/v1/jobs", bad)
    assert http.post(f"/api/v1/jobs/{SIFT_RUNNING}:cancel", headers=SIFT).json() == {}
    statuses = {job["jobId"]: job["jobStatus"] for job in http.get("/api/v1/jobs", headers=SIFT).json()["jobs"]}
    assert statuses[SIFT_RUNNING] == "JOB_STATUS_CANCEL_REQUESTED"


def test_a_forced_response_wins_over_state(http: AsgiClient) -> None:
    job = create(http)
    forced = http.get(f"/v1/jobs/{job['id']}", headers={**FLATFILE, "Prefer": "code=404"})
    assert forced.status_code == 404
    example = http.get(f"/v1/jobs/{job['id']}", headers={**FLATFILE, "Prefer": "example=failed"})
    assert example.json()["data"]["status"] == "failed" and example.json()["data"]["id"] == job["id"]
    assert http.get(f"/v1/jobs/{job['id']}", headers=FLATFILE).json()["data"]["status"] == "created"


def test_concurrent_creates_through_the_app_all_land(stateful: tuple[StateEngine, Any]) -> None:
    shared, app = stateful
    shared.reset()
    headers = {**FLATFILE, "X-Mock-Session": "crowd"}

    async def create_many(count: int) -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
            return await asyncio.gather(*(client.post("/v1/jobs", json=NEW_JOB, headers=headers) for _ in range(count)))

    created = asyncio.run(create_many(25))
    assert [response.status_code for response in created] == [200] * 25
    ids = {response.json()["data"]["id"] for response in created}
    client = AsgiClient(app)
    try:
        listed = client.get("/v1/jobs", params={"pageSize": 100}, headers=headers).json()
    finally:
        client.close()
    assert len(ids) == 25 and ids <= {job["id"] for job in listed["data"]}
    assert listed["pagination"]["totalCount"] == 26  # and the seeded job


def test_sessions_are_isolated_by_header(http: AsgiClient) -> None:
    job = create(http, **{"X-Mock-Session": "suite-a"})
    assert http.get(f"/v1/jobs/{job['id']}", headers={**FLATFILE, "X-Mock-Session": "suite-a"}).status_code == 200
    assert http.get(f"/v1/jobs/{job['id']}", headers={**FLATFILE, "X-Mock-Session": "suite-b"}).status_code == 404
    assert http.get(f"/v1/jobs/{job['id']}", headers=FLATFILE).status_code == 404
    too_long = http.get("/v1/jobs", headers={**FLATFILE, "X-Mock-Session": "x" * 200})
    assert too_long.status_code == 400 and too_long.json()["errors"][0]["key"] == "X-Mock-Session"


def test_journal_reset_sessions_and_advance_endpoints(http: AsgiClient) -> None:
    session = {"X-Mock-Session": "debug"}
    job = create(http, **session)
    http.get("/v1/jobs/us_jb_missing", headers={**FLATFILE, **session})
    journal = http.get("/__mock/journal", headers=session).json()
    assert journal["session"] == "debug"
    assert [(e["method"], e["path"], e["status"]) for e in journal["entries"]] == [
        ("POST", "/v1/jobs", 200),
        ("GET", "/v1/jobs/us_jb_missing", 404),
    ]
    assert http.get("/__mock/journal", params={"session": "debug"}).json() == journal
    assert http.get("/__mock/sessions").json() == {"sessions": ["debug"]}
    http.post(f"/v1/jobs/{job['id']}/execute", headers={**FLATFILE, **session})
    assert http.post("/__mock/advance", params={"seconds": "1"}).json() == {"changed": 1}
    assert http.get(f"/v1/jobs/{job['id']}", headers={**FLATFILE, **session}).json()["data"]["status"] == "executing"
    assert http.post("/__mock/reset", headers=session).json() == {"reset": "debug"}
    assert http.get(f"/v1/jobs/{job['id']}", headers={**FLATFILE, **session}).status_code == 404
    assert http.post("/__mock/reset").json() == {"reset": "all sessions"}
    assert http.get("/__mock/sessions").json() == {"sessions": []}


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("GET", "/__mock/nothing", 404, "no control endpoint"),
        ("GET", "/__mock/reset", 405, "allowed: POST"),
        ("POST", "/__mock/advance?seconds=-3", 400, "seconds must be"),
    ],
)
def test_control_errors_are_in_an_api_error_shape(
    http: AsgiClient, method: str, path: str, status: int, message: str
) -> None:
    response = http.request(method, path)
    assert response.status_code == status
    assert message in response.json()["errors"][0]["message"]
    if status == 405:
        assert response.headers["allow"] == "POST"


def test_a_failing_control_endpoint_is_a_500_in_an_api_error_shape(
    http: AsgiClient, stateful: tuple[StateEngine, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_failure() -> list[str]:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(stateful[0], "sessions", disk_failure)
    response = http.get("/__mock/sessions")
    assert response.status_code == 500
    assert response.json() == {"errors": [{"message": UNEXPECTED_FAILURE}]}


def test_the_advancer_ticks_in_the_background(engine: StateEngine) -> None:
    job = engine.handle("flatfile", "createJob", StateRequest(body={**NEW_JOB, "status": "ready"})).body["data"]
    advancer = AutoAdvancer(engine, interval=0.01)
    advancer.start()
    try:
        deadline = time.monotonic() + 5
        while (
            engine.handle("flatfile", "getJob", StateRequest(path={"jobId": job["id"]})).body["data"]["status"]
            == "ready"
        ):
            assert time.monotonic() < deadline, "auto-advance did not move the ready job"
            time.sleep(0.01)
    finally:
        advancer.stop()
    with pytest.raises(ValueError, match="positive"):
        AutoAdvancer(engine, interval=0)


def test_control_endpoints_answer_cors(http: AsgiClient) -> None:
    origin = {"Origin": "http://front.example"}
    assert http.get("/__mock/sessions", headers=origin).headers["access-control-allow-origin"] == "*"
    refused = http.get("/__mock/journal?session=" + "x" * 200, headers=origin)
    assert refused.status_code == 400 and refused.headers["access-control-allow-origin"] == "*"
    # A page of an origin not listed with --cors-origin may not change state (tests/mock/test_control_access.py).
    forbidden = http.post("/__mock/advance?seconds=1", headers=origin)
    assert forbidden.status_code == 403 and forbidden.headers["access-control-allow-origin"] == "*"
    preflight = http.request("OPTIONS", "/__mock/journal", headers={**origin, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200 and "GET" in preflight.headers["access-control-allow-methods"]


def test_the_lifespan_runs_auto_advance_and_closes_the_engine(engine: StateEngine) -> None:
    job = engine.handle("flatfile", "createJob", StateRequest(body={**NEW_JOB, "status": "ready"})).body["data"]
    app = build_app(Settings(apis=("flatfile",)), mode_factory=lambda apis, _settings: StatefulMode(engine, apis, 0.01))
    events = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []
    statuses: list[str] = []

    async def receive() -> dict[str, str]:
        if not sent:
            return events[0]
        deadline = time.monotonic() + 5
        while not statuses or statuses[-1] == "ready":
            assert time.monotonic() < deadline, "auto-advance did not move the ready job"
            request = StateRequest(path={"jobId": job["id"]})
            statuses.append(engine.handle("flatfile", "getJob", request).body["data"]["status"])
            await asyncio.sleep(0.01)
        return events[1]

    async def send(message: dict[str, str]) -> None:
        sent.append(message["type"])

    asyncio.run(app.asgi({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert statuses[-1] == "executing"
    with pytest.raises((sqlite3.ProgrammingError, PoolClosed), match="closed"):
        engine.sessions()


def test_control_errors_take_the_shape_of_the_only_api_served() -> None:
    app = build_app(Settings(apis=("sift",), mode="stateful"))
    client = AsgiClient(app.asgi)
    try:
        answer = client.get("/__mock/nothing")
    finally:
        client.close()
        app.close()
    assert answer.status_code == 404 and answer.json()["code"] == 5


def test_the_readme_lifecycle_table_is_the_lifecycle_data() -> None:
    api = load_api("flatfile")
    operation_ids = {op.url_path.removeprefix(api.base_path): op.operation_id for op in api.operations}
    rows = re.findall(r"^\| `POST (/jobs/\{jobId\}/[a-z/]+)` \| ([^|]+) \| ([^|]+) \|", README.read_text(), re.M)
    table = {
        operation_ids[path]: (frozenset(sources.strip().split(", ")), None if "unchanged" in target else target.strip())
        for path, sources, target in rows
    }
    expected = {}
    for action, rule in FLATFILE_LIFECYCLE.actions.items():
        (transition,) = rule.transitions  # each Flatfile action has one
        expected[action] = (transition.sources, transition.target)
    assert table == expected


HUNDRED = "[" + ",".join(map(str, range(100))) + "]"
LIMIT_TIMEOUT = 30.0


@pytest.mark.parametrize(
    ("expression", "limit"),
    [
        ("(" * 55 + "true" + ")" * 55, "more than the limit of 16"),
        (f"{HUNDRED}.exists(x, {HUNDRED}.exists(y, x == y + 1000))", "more than the limit of 10000 steps"),
    ],
    ids=["depth", "cost"],
)
def test_a_filter_over_a_limit_is_a_400_while_other_sessions_are_served(
    stateful: tuple[StateEngine, Any], assert_conforms: Any, expression: str, limit: str
) -> None:
    stateful[0].reset()
    app = stateful[1]

    async def both() -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
            hostile = client.get(
                "/api/v1/jobs", params={"filter": expression}, headers={**SIFT, "X-Mock-Session": "hostile"}
            )
            other = client.get("/api/v1/jobs", headers={**SIFT, "X-Mock-Session": "other"})
            refused, served = await asyncio.wait_for(asyncio.gather(hostile, other), LIMIT_TIMEOUT)
            return refused, served

    refused, served = asyncio.run(both())
    assert (refused.status_code, refused.json()["code"]) == (400, 3)  # INVALID_ARGUMENT
    assert limit in refused.json()["message"]
    assert refused.json()["details"][0]["fieldViolations"][0]["field"] == "filter"
    assert_conforms("sift", "GET", "/api/v1/jobs", refused)
    assert served.status_code == 200 and [job["jobId"] for job in served.json()["jobs"]][:1] == [SIFT_RUNNING]
