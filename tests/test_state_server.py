"""Stateful mode through the mock's real pipeline: the responder, sessions, journal and control endpoints."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import AsgiClient
from test_state_support import FakeClock, open_engine

from mock_server.app import Settings, build_app
from mock_server.state import StateEngine, StateRequest
from mock_server.state.control import StateControl
from mock_server.state.responder import StatefulResponder
from mock_server.state.ticker import AutoAdvancer

FLATFILE = {"Authorization": "Bearer token", "X-Disable-Hooks": "true"}
SIFT = {"Authorization": "Bearer token"}
SIFT_RUNNING = "c7e4a1f0-6d2b-4e9c-8a5f-1b3d9e7c2a60"
NEW_JOB = {"type": "workbook", "operation": "submitAction", "source": "us_wb_1"}

pytest_plugins = ("test_state_support",)


@pytest.fixture(scope="module")
def stateful() -> Iterator[tuple[StateEngine, Any]]:
    """The mock in stateful mode, built once for this module (building it compiles every validator)."""
    shared = open_engine(FakeClock())
    app = build_app(Settings(), responder_factory=lambda _apis, static: StatefulResponder(shared, static))
    yield shared, StateControl(app.asgi, engine=shared, errors=app.apis[0].errors)
    shared.close()


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


def test_the_advancer_runs_for_the_lifespan(engine: StateEngine, mock_app: Any) -> None:
    advancer = AutoAdvancer(engine, interval=60)
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    seen: list[bool] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        seen.append(advancer._thread is not None and advancer._thread.is_alive())
        await receive()
        seen.append(advancer._thread is None)

    async def receive() -> Any:
        return next(messages)

    async def send(message: Any) -> None:
        pass

    control = StateControl(inner, engine=engine, errors=mock_app.apis[0].errors, ticker=advancer)
    asyncio.run(control({"type": "lifespan"}, receive, send))
    assert seen == [True, True]
