"""`GET /__mock/coverage`: a scripted set of requests gives exactly the counts sent, per session, in static,
stateful and proxy mode; HTML by default, JSON on request."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mock_server.app import MockApp, build_app
from mock_server.settings import Settings
from tests.reference_impl.faults import Fault
from tests.reference_impl.server import serve
from tests.support.proxy import Proxy
from tests.support.servers import AsgiClient

TOKEN = "coverage-token"
CONTROL = {"Authorization": f"Bearer {TOKEN}"}  # the control endpoints need the token the mock was given
FLATFILE = {"Authorization": f"Bearer {TOKEN}", "X-Disable-Hooks": "true"}
SIFT = {"Authorization": f"Bearer {TOKEN}"}
NEW_JOB = {"type": "workbook", "operation": "submitAction", "source": "us_wb_1"}

# (operationId or None for no operation of the spec, method, target, headers, JSON body)
SCRIPT: list[tuple[str | None, str, str, dict[str, str], Any]] = [
    ("listJobs", "GET", "/v1/jobs", FLATFILE, None),
    ("listJobs", "GET", "/v1/jobs?pageSize=2&pageNumber=1", FLATFILE, None),
    ("listJobs", "GET", "/v1/jobs", {"X-Disable-Hooks": "true"}, None),  # no token: 401
    ("getJob", "GET", "/v1/jobs/us_jb_none", {**FLATFILE, "Prefer": "code=404"}, None),
    ("getJob", "GET", "/v1/jobs/us_jb_none", {**FLATFILE, "Prefer": "example=executing"}, None),
    ("createJob", "POST", "/v1/jobs", FLATFILE, NEW_JOB),
    ("createJob", "POST", "/v1/jobs", FLATFILE, {"operation": "submitAction"}),  # no `type`: 400
    ("listJobs", "GET", "/api/v1/jobs?pageSize=3", SIFT, None),
    (None, "GET", "/v1/nowhere", FLATFILE, None),  # 404: no such path
    (None, "PUT", "/v1/jobs", FLATFILE, None),  # 405: no such method
]


def send_script(client: AsgiClient, session: str) -> list[int]:
    statuses = []
    for _operation, method, target, headers, body in SCRIPT:
        response = client.request(method, target, headers={**headers, "X-Mock-Session": session}, json=body)
        statuses.append(response.status_code)
    return statuses


def coverage_json(client: AsgiClient, session: str) -> dict[str, Any]:
    response = client.get(f"/__mock/coverage?session={session}", headers={**CONTROL, "Accept": "application/json"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def counts_by_operation(coverage: dict[str, Any]) -> Counter[tuple[str, str, int]]:
    """(api, operationId, status) -> exchanges, documented and undocumented statuses alike."""
    found: Counter[tuple[str, str, int]] = Counter()
    for operation in coverage["operations"]:
        statuses = {status: cell["count"] for status, cell in operation["statuses"].items()}
        for status, count in {**statuses, **operation["undocumented_statuses"]}.items():
            if count:
                found[(operation["api"], operation["operation_id"], int(status))] = count
    return found


def expected_counts(statuses: list[int]) -> Counter[tuple[str, str, int]]:
    expected: Counter[tuple[str, str, int]] = Counter()
    for (operation, _method, target, _headers, _body), status in zip(SCRIPT, statuses, strict=True):
        if operation is not None:
            expected[("sift" if target.startswith("/api/") else "flatfile", operation, status)] += 1
    return expected


@pytest.fixture
def connect() -> Iterator[Callable[[str], AsgiClient]]:
    """`connect(mode)`: a client of a new mock in that mode; all are closed when the test ends."""
    opened: list[tuple[MockApp, AsgiClient]] = []

    def build(mode: str) -> AsgiClient:
        app = build_app(Settings(token=TOKEN, mode=mode))
        opened.append((app, AsgiClient(app.asgi)))
        return opened[-1][1]

    yield build
    for app, client in opened:
        client.close()
        app.close()


@pytest.fixture(params=["static", "stateful"])
def client(request: pytest.FixtureRequest, connect: Callable[[str], AsgiClient]) -> AsgiClient:
    return connect(request.param)


def test_the_counts_are_exactly_the_requests_answered(client: AsgiClient) -> None:
    statuses = send_script(client, "team-a")
    assert statuses == [200, 200, 401, 404, 200, 200, 400, 200, 404, 405]
    coverage = coverage_json(client, "team-a")
    assert coverage["session"] == "team-a"
    assert counts_by_operation(coverage) == expected_counts(statuses)
    assert coverage["outside_spec"] == {"404": 1, "405": 1}
    assert coverage["exchanges"] == len(SCRIPT)
    exercised = {(api, operation, status) for api, operation, status in expected_counts(statuses)}
    assert coverage["exercised_pairs"] == len(exercised)
    assert coverage["percent"] == round(100 * len(exercised) / coverage["documented_pairs"], 1)


def test_the_examples_served_and_what_requests_carried_are_counted(connect: Callable[[str], AsgiClient]) -> None:
    client = connect("static")
    send_script(client, "team-a")
    operations = {(op["api"], op["operation_id"]): op for op in coverage_json(client, "team-a")["operations"]}
    list_jobs, get_job = operations[("flatfile", "listJobs")], operations[("flatfile", "getJob")]
    # The default example is the first documented one; an error the mock raises itself serves no example.
    assert list_jobs["statuses"]["200"] == {"count": 2, "examples": {"documented": 2, "emptyPage": 0}, "other": 0}
    assert list_jobs["statuses"]["401"]["other"] == 1
    assert get_job["statuses"]["404"]["examples"] == {"jobNotFound": 1}
    assert get_job["statuses"]["200"]["examples"] == {"complete": 0, "executing": 1, "failed": 0}
    assert list_jobs["query_parameters"]["pageSize"] == 1
    assert list_jobs["query_parameters"]["pageNumber"] == 1
    assert list_jobs["query_parameters"]["spaceId"] == 0  # documented, never sent
    assert operations[("sift", "listJobs")]["query_parameters"]["pageSize"] == 1
    assert operations[("flatfile", "createJob")]["body_fields"] == {"operation": 1, "source": 1, "type": 1}
    # Untouched cells are there, with a zero: the "job not found" screen nobody built.
    assert operations[("flatfile", "deleteJob")]["statuses"]["404"]["count"] == 0
    assert "deleteJob (DELETE /jobs/{jobId}) 404" in coverage_json(client, "team-a")["missed"]


def test_sessions_are_counted_apart(client: AsgiClient) -> None:
    send_script(client, "team-a")
    client.get("/v1/jobs", headers=FLATFILE)  # the default session
    other = coverage_json(client, "team-b")
    assert other["exchanges"] == 0 and other["exercised_pairs"] == 0
    default = client.get("/__mock/coverage", headers={**CONTROL, "Accept": "application/json"}).json()
    assert default["session"] == "default"
    assert counts_by_operation(default) == Counter({("flatfile", "listJobs", 200): 1})
    by_header = client.get(
        "/__mock/coverage", headers={**CONTROL, "Accept": "application/json", "X-Mock-Session": "team-a"}
    )
    assert by_header.json()["exchanges"] == len(SCRIPT)


def test_stateful_counts_match_the_journal(connect: Callable[[str], AsgiClient]) -> None:
    client = connect("stateful")
    statuses = send_script(client, "journal-check")
    journal = client.get("/__mock/journal?session=journal-check", headers=CONTROL).json()["entries"]
    coverage = coverage_json(client, "journal-check")
    assert [entry["status"] for entry in journal] == statuses
    answered = Counter(
        status for (_api, _op, status), count in counts_by_operation(coverage).items() for _ in range(count)
    )
    answered.update({int(status): count for status, count in coverage["outside_spec"].items()})
    assert answered == Counter(entry["status"] for entry in journal)


def test_html_by_default_and_json_when_asked(connect: Callable[[str], AsgiClient]) -> None:
    client = connect("static")
    send_script(client, "team-a")
    page = client.get("/__mock/coverage?session=team-a", headers=CONTROL)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert 'data-operation="deleteJob"' in page.text and "team-a" in page.text
    assert not re.search(r"""(src|href)=["'](?!data:|#|\?)""", page.text)  # self-contained: nothing fetched
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert (
        client.get("/__mock/coverage", headers={**CONTROL, "Accept": browser_accept})
        .headers["content-type"]
        .startswith("text/html")
    )
    assert (
        client.get("/__mock/coverage", headers={**CONTROL, "Accept": "application/json"}).json()["session"] == "default"
    )


def test_names_a_client_sent_are_escaped_in_the_page(connect: Callable[[str], AsgiClient]) -> None:
    client = connect("static")
    client.get("/v1/jobs?<script>alert(1)</script>=1", headers=FLATFILE)
    page = client.get("/__mock/coverage", headers=CONTROL).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_bad_requests_to_the_endpoint_get_clear_errors(connect: Callable[[str], AsgiClient]) -> None:
    client = connect("stateful")
    too_long = client.get("/__mock/coverage?session=" + "x" * 200, headers=CONTROL)
    assert too_long.status_code == 400
    assert "128" in too_long.text and "session" in too_long.text
    posted = client.post("/__mock/coverage", headers=CONTROL)
    assert posted.status_code == 405 and posted.headers["allow"] == "GET"
    # The stateful controls beside it still answer.
    assert client.get("/__mock/journal", headers=CONTROL).status_code == 200


def test_the_proxy_counts_what_its_upstream_answered(proxy_to: Any) -> None:
    with serve(token=TOKEN, faults=[Fault.UNDOCUMENTED_STATUS]) as upstream:
        proxy: Proxy = proxy_to(upstream.origin)
        headers = {**FLATFILE, "X-Mock-Session": "through-proxy"}
        assert proxy.client.post("/v1/jobs", headers=headers, json=NEW_JOB).status_code == 201
        assert proxy.client.get("/v1/jobs?pageSize=1", headers=headers).status_code == 200
        assert proxy.client.get("/v1/jobs/us_jb_missing", headers=headers).status_code == 404
        coverage = proxy.client.get(
            "/__mock/coverage?session=through-proxy", headers={**proxy.control_headers, "Accept": "application/json"}
        ).json()
        assert proxy.violations()["exchanges"] == 3  # the violations endpoint still answers beside it
    operations = {op["operation_id"]: op for op in coverage["operations"] if op["api"] == "flatfile"}
    assert operations["createJob"]["undocumented_statuses"] == {"201": 1}
    assert operations["createJob"]["body_fields"] == {"operation": 1, "source": 1, "type": 1}
    assert operations["listJobs"]["statuses"]["200"]["count"] == 1
    assert operations["listJobs"]["query_parameters"]["pageSize"] == 1
    assert operations["getJob"]["statuses"]["404"]["count"] == 1
    assert coverage["exchanges"] == 3
