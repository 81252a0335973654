"""What a client sees of its `Prefer` header: `Preference-Applied` names what was served, a preference the mock
does not know is named back and logged once; error examples name the id that was asked for."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mock_server.app import build_app
from mock_server.settings import Settings
from mock_server.spec import load_api
from mock_server.state.mode import StatefulMode
from tests.support.servers import AsgiClient, MockProcess
from tests.support.state import FakeClock, open_engine

FLATFILE = {"Authorization": "Bearer t", "X-Disable-Hooks": "true"}
SIFT = {"Authorization": "Bearer t"}
SIFT_UNKNOWN = "0d9e8f7a-6b5c-4d3e-a2f1-0e9d8c7b6a54"
NEW_JOB = {"type": "workbook", "operation": "submitAction", "source": "us_wb_1"}


@pytest.fixture(scope="module")
def stateful_app() -> Iterator[Any]:
    engine = open_engine(FakeClock())
    app = build_app(Settings(), mode_factory=lambda apis, _settings: StatefulMode(engine, apis))
    yield app.asgi
    app.close()


@pytest.fixture
def stateful(stateful_app: Any) -> Iterator[AsgiClient]:
    client = AsgiClient(stateful_app)
    yield client
    client.close()


def applied(response: httpx.Response) -> str | None:
    return response.headers.get("Preference-Applied")


@pytest.mark.parametrize(
    ("prefer", "status", "expected"),
    [
        (None, 200, "code=200, example=complete"),
        ("code=404", 404, "code=404, example=jobNotFound"),
        ("example=failed", 200, "code=200, example=failed"),
        ("example=jobNotFound", 404, "code=404, example=jobNotFound"),
        ("dynamic=true", 200, "code=200, dynamic=true"),
        ("code=404; delay=5", 404, "code=404, example=jobNotFound, delay=5"),
    ],
)
def test_every_static_answer_says_what_it_served(
    mock: AsgiClient, prefer: str | None, status: int, expected: str
) -> None:
    headers = {**FLATFILE, **({"Prefer": prefer} if prefer else {})}
    response = mock.get("/v1/jobs/us_jb_42", headers=headers)
    assert (response.status_code, applied(response)) == (status, expected)


def test_a_query_control_is_reported_the_same_way(mock: AsgiClient) -> None:
    response = mock.get("/api/v1/jobs?__code=401", headers=SIFT)
    assert (response.status_code, applied(response)) == (401, "code=401, example=invalidToken")


def test_a_refused_request_applied_nothing(mock: AsgiClient) -> None:
    response = mock.get("/v1/jobs/us_jb_42", headers={"Authorization": "Bearer t", "Prefer": "code=404"})
    assert response.status_code == 400  # X-Disable-Hooks is missing
    assert applied(response) is None


def test_an_unknown_preference_is_named_back_and_the_default_served(mock: AsgiClient) -> None:
    response = mock.get("/v1/jobs/us_jb_42", headers={**FLATFILE, "Prefer": "exmaple=failed, return=minimal"})
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "complete"  # the default: the typo chose nothing
    assert response.headers["Jobs-Mock-Ignored-Prefer"] == "exmaple, return"
    assert applied(response) == "code=200, example=complete"
    assert "Jobs-Mock-Ignored-Prefer" not in mock.get("/v1/jobs/us_jb_42", headers=FLATFILE).headers


def test_an_unknown_preference_is_named_on_a_refusal_too(mock: AsgiClient) -> None:
    response = mock.get("/v1/jobs/us_jb_42", headers={"Authorization": "Bearer t", "Prefer": "cdoe=404"})
    assert (response.status_code, response.headers["Jobs-Mock-Ignored-Prefer"]) == (400, "cdoe")


def test_the_list_of_ignored_preferences_is_bounded(mock: AsgiClient) -> None:
    prefer = ", ".join(f"p{n}=1" for n in range(50)) + ", " + "x" * 500
    response = mock.get("/v1/jobs/us_jb_42", headers={**FLATFILE, "Prefer": prefer})
    assert response.status_code == 200
    assert response.headers["Jobs-Mock-Ignored-Prefer"] == ", ".join(f"p{n}" for n in range(8))


def test_each_unknown_preference_is_logged_once(mock: AsgiClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mock_server.negotiation"):
        for _ in range(3):
            mock.get("/v1/jobs/us_jb_42", headers={**FLATFILE, "Prefer": "onlyonce-typo=1, onlyonce-other"})
    logged = [record.getMessage() for record in caplog.records if "onlyonce" in record.getMessage()]
    assert len(logged) == 2
    assert "'onlyonce-typo' is not a preference this mock knows (it knows code, example, dynamic, delay)" in logged[0]


def test_the_header_is_readable_by_a_browser_page(mock: AsgiClient) -> None:
    response = mock.get("/v1/jobs/us_jb_42", headers={**FLATFILE, "Origin": "http://localhost:3000"})
    exposed = {name.strip().lower() for name in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"preference-applied", "jobs-mock-ignored-prefer"} <= exposed


def test_a_404_example_names_the_id_asked_for(mock: AsgiClient, assert_conforms) -> None:
    response = mock.get("/v1/jobs/us_jb_42", headers={**FLATFILE, "Prefer": "code=404"})
    assert response.json() == {"errors": [{"key": "jobId", "message": "Job us_jb_42 not found"}]}
    assert_conforms("flatfile", "GET", "/jobs/{jobId}", response)
    other = mock.post("/v1/jobs/us_jb_7/execute", headers={**FLATFILE, "Prefer": "code=404"}, json={})
    assert other.json()["errors"][0]["message"] == "Job us_jb_7 not found"


def test_sifts_404_example_names_the_id_asked_for(mock: AsgiClient, assert_conforms) -> None:
    job = "5e0b7a41-0c55-4b57-9d5e-6a8f3b2c1d09"
    response = mock.post(f"/api/v1/jobs/{job}:cancel", headers={**SIFT, "Prefer": "code=404"}, json={})
    assert response.json() == {"code": 5, "message": f"job {job} not found", "details": []}
    assert_conforms("sift", "POST", "/api/v1/jobs/{jobId}:cancel", response)


def test_an_echoed_id_is_escaped_inside_the_message(mock: AsgiClient) -> None:
    response = mock.get('/v1/jobs/us_jb_"4\\2', headers={**FLATFILE, "Prefer": "code=404"})
    assert response.json()["errors"][0]["message"] == 'Job us_jb_"4\\2 not found'


def _spec_with_example_echo(tmp_path: Path, echo: Any) -> str:
    document = yaml.safe_load(Path(load_api("flatfile").source).read_text())
    document["components"]["responses"]["JobNotFound"]["content"]["application/json"]["examples"]["jobNotFound"][
        "x-mock-echo"
    ] = echo
    path = tmp_path / "flatfile-edited.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return str(path)


@pytest.mark.parametrize(
    ("echo", "complaint"),
    [
        ({"/errors/0/message": {"parameter": "jobId", "replaces": "us_jb_OTHER"}}, "containing 'us_jb_OTHER'"),
        ({"/errors/0/nope": {"parameter": "jobId", "replaces": "us_jb_UNKNOWN"}}, "is not a string of the example"),
        ({"/errors/0/message": {"parameter": "id", "replaces": "us_jb_UNKNOWN"}}, "names 'id', not a path parameter"),
        ({"/errors/0/message": "jobId"}, "must be {parameter: NAME, replaces: TEXT}"),
    ],
)
def test_a_wrong_example_echo_stops_the_mock_at_start_naming_the_example(
    tmp_path: Path, echo: Any, complaint: str
) -> None:
    with pytest.raises(ValueError, match="example 'jobNotFound' of response 404") as refused:
        load_api(_spec_with_example_echo(tmp_path, echo))
    assert complaint in str(refused.value)


def test_stateful_answers_say_what_they_served(stateful: AsgiClient) -> None:
    created = stateful.post("/v1/jobs", json=NEW_JOB, headers=FLATFILE)
    assert (created.status_code, applied(created)) == (200, "code=200")  # the engine chose, not an example
    missing = stateful.get("/v1/jobs/us_jb_nothere", headers=FLATFILE)
    assert (missing.status_code, applied(missing)) == (404, "code=404")
    assert missing.json()["errors"][0]["message"].count("us_jb_nothere") == 1
    forced = stateful.get("/v1/jobs/us_jb_9", headers={**FLATFILE, "Prefer": "code=404"})
    assert (forced.status_code, applied(forced)) == (404, "code=404, example=jobNotFound")
    assert forced.json()["errors"][0]["message"] == "Job us_jb_9 not found"
    typo = stateful.get(f"/v1/jobs/{created.json()['data']['id']}", headers={**FLATFILE, "Prefer": "cdoe=404"})
    assert (typo.status_code, typo.headers["Jobs-Mock-Ignored-Prefer"], applied(typo)) == (200, "cdoe", "code=200")


def test_through_the_console_script(mock_process: Callable[[list[str]], MockProcess]) -> None:
    server = mock_process(["sift"])
    try:
        headers = {**SIFT, "Prefer": "exmaple=invalidToken, code=404"}
        for _ in range(2):
            response = httpx.post(f"{server.url}/api/v1/jobs/{SIFT_UNKNOWN}x:retry", headers=headers, json={})
        assert response.status_code == 404
        assert json.loads(response.text)["message"] == f"job {SIFT_UNKNOWN}x not found"
        assert response.headers["Preference-Applied"] == "code=404, example=jobNotFound"
        assert response.headers["Jobs-Mock-Ignored-Prefer"] == "exmaple"
    finally:
        server.stop()
    assert server.output.read_text().count("'exmaple' is not a preference this mock knows") == 1
