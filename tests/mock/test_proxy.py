"""`jobs-mock proxy` in front of the reference implementation and the stateful mock: what it forwards, what it
reports, and what `--errors` answers instead."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from mock_server.app import build_app
from mock_server.settings import Settings
from tests.reference_impl.faults import Fault
from tests.reference_impl.server import RunningServer, serve
from tests.support.proxy import FLATFILE, NEW_JOB, SIFT, TOKEN, Proxy
from tests.support.servers import ThreadedServer


@pytest.fixture(scope="module")
def reference() -> Iterator[RunningServer]:
    with serve(token=TOKEN) as server:
        yield server


def seeded_job(origin: str) -> str:
    jobs = httpx.get(f"{origin}/v1/jobs", headers=FLATFILE).json()["data"]
    return str(jobs[0]["id"])


READS = [("GET", "/v1/jobs", FLATFILE), ("GET", "/v1/jobs?pageSize=2&sortDirection=asc", FLATFILE)]
READS += [("GET", "/api/v1/jobs", SIFT), ("GET", "/api/v1/jobs?pageSize=3&orderBy=created_date", SIFT)]


def test_clean_traffic_is_forwarded_byte_for_byte_and_reports_nothing(
    reference: RunningServer, proxy_to: Callable[..., Proxy]
) -> None:
    proxy = proxy_to(reference.origin)
    job = seeded_job(reference.origin)
    for method, target, headers in [
        *READS,
        ("GET", f"/v1/jobs/{job}", FLATFILE),
        ("GET", "/v1/jobs/us_jb_gone", FLATFILE),
    ]:
        direct = httpx.request(method, reference.origin + target, headers=headers)
        proxied = proxy.client.request(method, target, headers=headers)
        assert (proxied.status_code, proxied.content) == (direct.status_code, direct.content), target
        assert proxied.headers["content-type"] == direct.headers["content-type"]
        assert "jobs-mock-violations" not in proxied.headers
    created = proxy.client.post("/v1/jobs", json=NEW_JOB, headers=FLATFILE)
    assert created.status_code == 200, created.text
    new_id = created.json()["data"]["id"]
    assert proxy.client.request("DELETE", f"/v1/jobs/{new_id}", headers=FLATFILE).status_code == 200
    assert proxy.client.get(f"/v1/jobs/{new_id}", headers=FLATFILE).status_code == 404
    report = proxy.violations()
    assert report["violating"] == 0 and report["violations"] == []
    assert report["exchanges"] == 9


def test_clean_traffic_through_the_stateful_mock_reports_nothing(
    serve: Callable[[Any], ThreadedServer], proxy_to: Callable[..., Proxy]
) -> None:
    upstream = build_app(Settings(mode="stateful", token=TOKEN))
    try:
        server = serve(upstream.asgi)
        proxy = proxy_to(server.url)
        created = proxy.client.post("/v1/jobs", json=NEW_JOB, headers=FLATFILE)
        assert created.status_code == 200, created.text
        job = created.json()["data"]["id"]
        for target, headers in [
            (f"/v1/jobs/{job}", FLATFILE),
            ("/v1/jobs?pageSize=1", FLATFILE),
            ("/api/v1/jobs", SIFT),
        ]:
            proxied = proxy.client.get(target, headers=headers)
            direct = httpx.get(server.url + target, headers=headers)
            assert (proxied.status_code, proxied.content) == (direct.status_code, direct.content)
        proxy.client.post(f"/v1/jobs/{job}/execute", headers=FLATFILE)
        assert proxy.client.request("DELETE", f"/v1/jobs/{job}", headers=FLATFILE).status_code == 200
        assert proxy.violations()["violating"] == 0, proxy.violations()
    finally:
        upstream.close()


RESPONSE_FAULTS = [
    (Fault.MISSING_REQUIRED_FIELD, "GET", "/v1/jobs", None, "listJobs", "createdAt"),
    (Fault.WRONG_TYPE, "GET", "/v1/jobs", None, "listJobs", "progress"),
    (Fault.ENUM_OUT_OF_SPEC, "POST", "/v1/jobs", NEW_JOB, "createJob", "pending"),
    (Fault.UNDOCUMENTED_STATUS, "POST", "/v1/jobs", NEW_JOB, "createJob", "status 201 is not documented"),
    (Fault.ERROR_SHAPE_WRONG, "GET", "/v1/jobs/us_jb_missing", None, "getJob", "errors"),
    (Fault.WRONG_CONTENT_TYPE, "GET", "/v1/jobs/{job}", None, "getJob", "text/plain"),
    (Fault.SIFT_ENUM_VIOLATION, "GET", "/api/v1/jobs", None, "listJobs", "JOB_STATUS_DONE"),
]


def _send(proxy: Proxy, origin: str, method: str, target: str, body: Any) -> httpx.Response:
    target = target.replace("{job}", seeded_job(origin))
    headers = SIFT if target.startswith("/api/") else FLATFILE
    return proxy.client.request(method, target, headers=headers, json=body)


@pytest.mark.parametrize(("fault", "method", "target", "body", "operation", "mentioned"), RESPONSE_FAULTS, ids=str)
def test_each_response_fault_is_reported_with_its_operation_and_direction(
    proxy_to: Callable[..., Proxy], fault: Fault, method: str, target: str, body: Any, operation: str, mentioned: str
) -> None:
    with serve(token=TOKEN, faults=[fault]) as faulty:
        proxy = proxy_to(faulty.origin)
        direct = httpx.request(
            method, faulty.origin + target.replace("{job}", seeded_job(faulty.origin)), headers=FLATFILE, json=body
        )
        proxied = _send(proxy, faulty.origin, method, target, body)
        api = "sift" if target.startswith("/api/") else "flatfile"
        assert proxied.status_code == direct.status_code  # transparent: the faulty answer still goes through
        assert int(proxied.headers["jobs-mock-violations"]) >= 1
        assert proxy.found() == {(api, operation, "response")}
        [entry] = proxy.violations()["violations"]
        assert mentioned in json.dumps(entry["violations"])


INVALID_REQUESTS = [
    ("POST", "/v1/jobs", {"operation": "x"}, FLATFILE, "flatfile", "createJob", "type"),
    ("GET", "/v1/jobs?pageSize=zero", None, FLATFILE, "flatfile", "listJobs", "pageSize"),
    ("GET", "/v1/jobs", None, {"Authorization": f"Bearer {TOKEN}"}, "flatfile", "listJobs", "X-Disable-Hooks"),
    ("GET", "/v1/jobs", None, {"X-Disable-Hooks": "true"}, "flatfile", "listJobs", "Authorization"),
    ("GET", "/api/v1/jobs?pageSize=many", None, SIFT, "sift", "listJobs", "pageSize"),
    ("PATCH", "/api/v1/jobs", None, SIFT, "sift", "(no operation in the spec)", "PATCH is not allowed"),
]


@pytest.mark.parametrize(("method", "target", "body", "headers", "api", "operation", "field"), INVALID_REQUESTS)
def test_each_invalid_request_is_reported_and_still_forwarded(
    reference: RunningServer,
    proxy_to: Callable[..., Proxy],
    method: str,
    target: str,
    body: Any,
    headers: dict[str, str],
    api: str,
    operation: str,
    field: str,
) -> None:
    proxy = proxy_to(reference.origin)
    seen = len(reference.requests_seen)
    proxied = proxy.client.request(method, target, headers=headers, json=body)
    assert len(reference.requests_seen) == seen + 1  # transparent: forwarded although invalid
    assert proxied.headers["jobs-mock-violations"] == str(len(proxy.violations()["violations"][0]["violations"]))
    assert (api, operation, "request") in proxy.found()
    assert field in json.dumps(proxy.violations()["violations"][0]["violations"])


def test_errors_answers_an_invalid_request_itself_without_forwarding(
    reference: RunningServer, proxy_to: Callable[..., Proxy]
) -> None:
    proxy = proxy_to(reference.origin, errors=True)
    seen = len(reference.requests_seen)
    flatfile = proxy.client.post("/v1/jobs", json={"operation": "x"}, headers=FLATFILE)
    assert flatfile.status_code == 400
    assert {"key": "type", "message": 'body: "type" is a required property'} in flatfile.json()["errors"]
    sift = proxy.client.get("/api/v1/jobs?pageSize=many", headers=SIFT)
    assert sift.status_code == 400 and sift.json()["code"] == 3
    assert sift.json()["details"][0]["fieldViolations"][0]["field"] == "pageSize"
    unauthenticated = proxy.client.get("/v1/jobs", headers={"X-Disable-Hooks": "true"})
    assert unauthenticated.status_code == 401 and unauthenticated.headers["www-authenticate"] == "Bearer"
    assert len(reference.requests_seen) == seen
    assert proxy.client.get("/v1/jobs", headers=FLATFILE).status_code == 200  # valid ones still go through


def test_errors_replaces_an_invalid_response_with_a_502_naming_the_violations(proxy_to: Callable[..., Proxy]) -> None:
    with serve(token=TOKEN, faults=[Fault.WRONG_TYPE, Fault.SIFT_ENUM_VIOLATION]) as faulty:
        proxy = proxy_to(faulty.origin, errors=True)
        flatfile = proxy.client.get("/v1/jobs", headers=FLATFILE)
        assert flatfile.status_code == 502
        errors = flatfile.json()["errors"]
        assert errors and all(error["message"].startswith("the upstream's response: body:") for error in errors)
        assert any(error["key"].endswith(".progress") for error in errors)
        sift = proxy.client.get("/api/v1/jobs", headers=SIFT)
        assert sift.status_code == 502
        assert "JOB_STATUS_DONE" in sift.json()["message"] and sift.json()["details"][0]["fieldViolations"]


def test_reports_open_as_junit_with_a_case_per_operation_and_direction(
    proxy_to: Callable[..., Proxy], tmp_path: Path
) -> None:
    with serve(token=TOKEN, faults=[Fault.WRONG_TYPE]) as faulty:
        proxy = proxy_to(faulty.origin, report_dir=str(tmp_path))
        proxy.client.get("/v1/jobs", headers=FLATFILE)
        proxy.client.get("/api/v1/jobs", headers=SIFT)
        written = proxy.client.post("/__mock/report", headers=proxy.control_headers)
        assert written.status_code == 200
        assert sorted(Path(path).name for path in written.json()["written"]) == [
            "junit.xml",
            "summary.md",
            "violations.json",
        ]
    suites = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert len(list(suites.iter("testcase"))) == 2 * (17 + 3)
    flatfile, sift = suites.findall("testsuite")
    failing = [case.get("name") for case in flatfile.iter("testcase") if case.find("failure") is not None]
    assert failing == ["listJobs response"]
    [failure] = flatfile.find("testcase[@name='listJobs response']").findall("failure")  # type: ignore[union-attr]
    assert "progress" in (failure.text or "")
    assert [case.get("name") for case in sift.iter("testcase") if case.find("skipped") is None] == [
        "listJobs request",
        "listJobs response",
    ]
    assert suites.get("failures") == "1"
    assert "| listJobs | response | 1 | 1 |" in (tmp_path / "summary.md").read_text()
    assert json.loads((tmp_path / "violations.json").read_text())["violating"] == 1


def test_the_report_is_written_at_shutdown(reference: RunningServer, tmp_path: Path) -> None:
    proxy = Proxy(reference.origin, report_dir=str(tmp_path / "report"))
    proxy.client.get("/v1/jobs", headers=FLATFILE)
    proxy.close()
    assert json.loads((tmp_path / "report" / "violations.json").read_text())["exchanges"] == 1


def test_the_token_never_appears_in_logs_reports_or_the_violations_endpoint(
    proxy_to: Callable[..., Proxy], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(token=TOKEN, faults=[Fault.WRONG_TYPE]) as faulty:
        proxy = proxy_to(faulty.origin, report_dir=str(tmp_path))
        proxy.client.get("/v1/jobs", headers={**FLATFILE, "Cookie": "session=abc123"})
        proxy.client.get(f"/v1/jobs?pageSize=zero&token={TOKEN}", headers=FLATFILE)
        proxy.client.get("/v1/jobs", headers={"Authorization": "Bearer other-secret-9", "X-Disable-Hooks": "1"})
        listed = proxy.client.get("/__mock/violations", headers=proxy.control_headers).text
        proxy.client.post("/__mock/report", headers=proxy.control_headers)
    reproducers = [entry["curl"] for entry in json.loads(listed)["violations"]]
    assert reproducers and all("authorization: Bearer <redacted>" in curl for curl in reproducers)
    # The test's own client (httpx) logs each URL it calls; everything the proxy logs is checked.
    logged = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("httpx"))
    texts = [logged, listed, *(path.read_text() for path in tmp_path.iterdir())]
    for text in texts:
        for secret in (TOKEN, "other-secret-9", "abc123"):
            assert secret not in text
    assert "reproduce: curl -X GET" in caplog.text
