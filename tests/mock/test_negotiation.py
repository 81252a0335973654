"""Response choice: defaults, Prefer (code, example, dynamic, delay) and the `__` query fallbacks; id echo."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jobs_openapi import spec_path

from mock_server.app import StaticMode, build_app
from mock_server.responder import Call, StaticResponder
from mock_server.settings import Settings
from mock_server.wire import Reply
from tests.support.servers import AsgiClient

FLATFILE = {"Authorization": "Bearer t", "X-Disable-Hooks": "true"}
SIFT = {"Authorization": "Bearer t"}


def _examples(api: str, path: str, method: str, status: str) -> dict[str, Any]:
    document = yaml.safe_load(spec_path(api).read_text())
    response = document["paths"][path][method]["responses"][status]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    content = response["content"]["application/json"]
    examples = content["examples"]
    components = document["components"].get("examples", {})
    return {
        name: (components[example["$ref"].rsplit("/", 1)[-1]] if "$ref" in example else example)["value"]
        for name, example in examples.items()
    }


def test_default_is_the_first_example_of_the_lowest_2xx_with_the_id_echoed(mock: AsgiClient, assert_conforms) -> None:
    response = mock.get("/v1/jobs/us_jb_42", headers=FLATFILE)
    assert response.status_code == 200
    first_name, first = next(iter(_examples("flatfile", "/jobs/{jobId}", "get", "200").items()))
    assert response.json() == {"data": {**first["data"], "id": "us_jb_42"}}, first_name
    assert_conforms("flatfile", "GET", "/jobs/{jobId}", response)


def test_list_is_the_documented_example_verbatim(mock: AsgiClient) -> None:
    documented = _examples("flatfile", "/jobs", "get", "200")["documented"]
    assert mock.get("/v1/jobs", headers=FLATFILE).json() == documented


@pytest.mark.parametrize(
    ("url", "pointer", "job_id"),
    [
        ("/v1/jobs/us_jb_7/plan", ("data", "job", "id"), "us_jb_7"),
        ("/v1/jobs/us_jb_8/complete", ("data", "id"), "us_jb_8"),
        ("/api/v1/jobs/j-9:retry", ("job", "jobId"), "j-9"),
    ],
)
def test_path_ids_are_echoed_where_x_mock_echo_says(
    mock: AsgiClient, url: str, pointer: tuple[str, ...], job_id: str
) -> None:
    method = "GET" if url.endswith("plan") else "POST"
    value: Any = mock.request(method, url, headers=FLATFILE).json()
    for token in pointer:
        value = value[token]
    assert value == job_id


@pytest.mark.parametrize("how", ["prefer", "query"])
def test_forcing_a_documented_code(mock: AsgiClient, assert_conforms, how: str) -> None:
    headers = {**FLATFILE, "Prefer": "code=404"} if how == "prefer" else FLATFILE
    url = "/v1/jobs/us_jb_1" + ("?__code=404" if how == "query" else "")
    response = mock.get(url, headers=headers)
    assert response.status_code == 404
    # The documented 404, naming the id asked for (its x-mock-echo) in place of the example's
    assert response.json() == {"errors": [{"key": "jobId", "message": "Job us_jb_1 not found"}]}
    assert response.headers["Preference-Applied"] == "code=404, example=jobNotFound"
    assert_conforms("flatfile", "GET", "/jobs/{jobId}", response)


@pytest.mark.parametrize("how", ["prefer", "query"])
def test_picking_an_example_by_name(mock: AsgiClient, how: str) -> None:
    failed = _examples("flatfile", "/jobs/{jobId}", "get", "200")["failed"]
    headers = {**FLATFILE, "Prefer": "example=failed"} if how == "prefer" else FLATFILE
    url = "/v1/jobs/us_jb_9" + ("?__example=failed" if how == "query" else "")
    assert mock.get(url, headers=headers).json() == {"data": {**failed["data"], "id": "us_jb_9"}}


def test_an_example_name_alone_selects_its_status(mock: AsgiClient) -> None:
    response = mock.post("/api/v1/jobs/j1:retry", headers={**SIFT, "Prefer": "example=notRetryable"})
    assert response.status_code == 400
    assert response.json() == _examples("sift", "/api/v1/jobs/{jobId}:retry", "post", "400")["notRetryable"]


def test_code_and_example_combine_in_one_header(mock: AsgiClient) -> None:
    response = mock.post("/api/v1/jobs/j1:retry", headers={**SIFT, "Prefer": "code=200, example=documented"})
    assert response.json()["job"]["organizationId"] == "<string>"
    assert response.json()["job"]["jobId"] == "j1"


@pytest.mark.parametrize(
    ("prefer", "needles"),
    [
        ("code=418", ["no response 418", "200, 400, 401, 404"]),
        ("example=nope", ["no example 'nope'", "complete", "jobNotFound"]),
        ("code=404, example=complete", ["no example 'complete' for 404"]),
        ("code=abc", ["HTTP status code"]),
        ("delay=-5", ["delay"]),
        ("delay=999999", ["30000"]),
        ("dynamic=maybe", ["dynamic must be true or false"]),
    ],
)
def test_asking_for_what_is_not_documented_is_400_naming_what_is(
    mock: AsgiClient, assert_conforms, prefer: str, needles: list[str]
) -> None:
    response = mock.get("/v1/jobs/us_jb_1", headers={**FLATFILE, "Prefer": prefer})
    assert response.status_code == 400
    assert response.json()["errors"][0]["key"] == "Prefer"
    for needle in needles:
        assert needle in response.text
    assert_conforms("flatfile", "GET", "/jobs/{jobId}", response)


def test_control_errors_in_sift_shape(mock: AsgiClient) -> None:
    body = mock.get("/api/v1/jobs?__code=404", headers=SIFT).json()
    assert body["code"] == 3
    assert "documents no response 404" in body["message"]


def test_unknown_preferences_are_ignored(mock: AsgiClient) -> None:
    assert (
        mock.get("/v1/jobs/us_jb_1", headers={**FLATFILE, "Prefer": "return=minimal, respond-async"}).status_code == 200
    )


def test_delay_holds_the_response(mock: AsgiClient) -> None:
    started = time.monotonic()
    response = mock.get("/v1/jobs/us_jb_1", headers={**FLATFILE, "Prefer": "delay=250"})
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.25
    started = time.monotonic()
    assert mock.get("/v1/jobs/us_jb_1?__delay=100", headers=FLATFILE).status_code == 200
    assert time.monotonic() - started >= 0.1


@pytest.mark.parametrize(
    ("api", "method", "url", "template", "headers"),
    [
        ("flatfile", "GET", "/v1/jobs/us_jb_5", "/jobs/{jobId}", FLATFILE),
        ("flatfile", "GET", "/v1/jobs", "/jobs", FLATFILE),
        ("flatfile", "POST", "/v1/jobs/preview-mutation", "/jobs/preview-mutation", FLATFILE),
        ("sift", "GET", "/api/v1/jobs", "/api/v1/jobs", SIFT),
        ("sift", "POST", "/api/v1/jobs/j5:retry", "/api/v1/jobs/{jobId}:retry", SIFT),
    ],
)
def test_dynamic_data_is_valid_and_deterministic_per_seed_and_request(
    mock: AsgiClient, assert_conforms, api: str, method: str, url: str, template: str, headers: dict[str, str]
) -> None:
    body = {"sheetId": "us_sh_1", "mutateRecord": "return record"} if "preview" in url else None
    first = mock.request(method, url, headers={**headers, "Prefer": "dynamic=true"}, json=body)
    again = mock.request(method, url + "?__dynamic=true", headers=headers, json=body)
    assert first.status_code == 200
    assert_conforms(api, method, template, first)
    assert_conforms(api, method, template, again)
    repeat = mock.request(method, url, headers={**headers, "Prefer": "dynamic=true"}, json=body)
    assert repeat.content == first.content
    if "{jobId}" in template:
        job = first.json()["data"] if api == "flatfile" else first.json()["job"]
        assert job.get("id", job.get("jobId")) == url.rsplit("/", 1)[-1].split(":")[0]


def test_another_seed_gives_other_data(mock_with: Callable[..., AsgiClient]) -> None:
    bodies = {
        mock_with(apis=("sift",), seed=seed).get("/api/v1/jobs", headers={**SIFT, "Prefer": "dynamic=true"}).content
        for seed in (1, 2, 3)
    }
    assert len(bodies) > 1


def test_the_responder_is_a_seam_another_engine_can_fill() -> None:
    seen: list[Call] = []

    class Recording:
        def __init__(self, static: StaticResponder) -> None:
            self.static = static

        async def respond(self, call: Call) -> Reply:
            seen.append(call)
            if call.controls.forces_response:
                return await self.static.respond(call)
            return Reply(204)

    class RecordingMode(StaticMode):
        def responder(self, static: StaticResponder) -> Recording:
            return Recording(static)

    app = build_app(Settings(apis=("flatfile",)), mode_factory=lambda _apis, _settings: RecordingMode())
    client = AsgiClient(app.asgi)
    try:
        session = {"X-Mock-Session": "suite-a"}
        assert client.get("/v1/jobs/us_jb_3?pageSize=1", headers={**FLATFILE, **session}).status_code == 204
        assert client.get("/v1/jobs/us_jb_3", headers={**FLATFILE, "Prefer": "code=404"}).status_code == 404
    finally:
        client.close()
    assert seen[0].operation.operation_id == "getJob"
    assert seen[0].path_params == {"jobId": "us_jb_3"}
    assert seen[0].parameters["X-Disable-Hooks"] == "true"
    assert (seen[0].session, seen[1].session) == ("suite-a", None)


OWN_SPEC = """
openapi: 3.0.3
info: {title: Things, version: "1"}
x-error-format: flatfile
servers: [{url: /t}]
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      x-mock-echo: {/id: id}
      responses:
        "200":
          description: A thing, without any example.
          content:
            application/json:
              schema:
                type: object
                required: [id, size]
                properties: {id: {type: string}, size: {type: integer, minimum: 1}}
        "400":
          description: Impossible to generate.
          content:
            application/json:
              schema: {type: string, minLength: 5, maxLength: 2}
"""


def test_a_response_without_examples_is_generated_and_the_impossible_is_a_400(
    tmp_path: Path, mock_with: Callable[..., AsgiClient]
) -> None:
    spec = tmp_path / "things.yaml"
    spec.write_text(OWN_SPEC)
    client = mock_with(apis=(str(spec),))
    thing = client.get("/t/things/t-1")
    assert thing.status_code == 200
    assert thing.json()["id"] == "t-1"
    assert thing.json()["size"] >= 1
    impossible = client.get("/t/things/t-1", headers={"Prefer": "code=400"})
    assert impossible.status_code == 400
    assert "no data can be generated for response 400" in impossible.json()["errors"][0]["message"]
