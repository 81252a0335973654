"""Routing: order-independent matching, 404, 405 with an exact Allow, OPTIONS, GET /, Swagger UI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from jobs_openapi import spec_path
from openapi_spec_validator import validate

from tests.support.servers import AsgiClient

FLATFILE = {"Authorization": "Bearer t", "X-Disable-Hooks": "true"}
SIFT = {"Authorization": "Bearer t"}


def test_sift_colon_routes_reach_their_own_operations(mock: AsgiClient, assert_conforms) -> None:
    retried = mock.post("/api/v1/jobs/abc:retry", headers=SIFT)
    assert retried.status_code == 200
    assert retried.json()["job"]["jobId"] == "abc"
    assert_conforms("sift", "POST", "/api/v1/jobs/{jobId}:retry", retried)
    cancelled = mock.post("/api/v1/jobs/abc:cancel", headers=SIFT)
    assert cancelled.status_code == 200
    assert cancelled.json() == {}
    assert_conforms("sift", "POST", "/api/v1/jobs/{jobId}:cancel", cancelled)


def test_an_encoded_colon_stays_in_the_job_id(mock: AsgiClient) -> None:
    response = mock.post("/api/v1/jobs/abc%3Adef:retry", headers=SIFT)
    assert response.json()["job"]["jobId"] == "abc:def"


def test_literal_segments_beat_the_job_id(mock: AsgiClient, assert_conforms) -> None:
    preview = mock.post(
        "/v1/jobs/preview-mutation", headers=FLATFILE, json={"sheetId": "us_sh_1", "mutateRecord": "return record"}
    )
    assert preview.status_code in (200, 400)
    assert "data" in preview.json() or "errors" in preview.json()
    not_a_job = mock.get("/v1/jobs/preview-mutation", headers=FLATFILE)
    assert not_a_job.status_code == 405
    assert not_a_job.headers["allow"] == "POST"


@pytest.mark.parametrize("api", ["flatfile", "sift"])
def test_routing_does_not_depend_on_path_order(api: str, tmp_path: Path, mock_with: Callable[..., AsgiClient]) -> None:
    document = yaml.safe_load(spec_path(api).read_text())
    document["paths"] = dict(reversed(list(document["paths"].items())))
    reversed_spec = tmp_path / f"{api}-reversed.yaml"
    reversed_spec.write_text(yaml.safe_dump(document, sort_keys=False))
    client = mock_with(apis=(str(reversed_spec),))
    if api == "sift":
        response = client.post("/api/v1/jobs/j1:retry", headers=SIFT)
        assert response.json()["job"]["jobId"] == "j1"
    else:
        response = client.post("/v1/jobs/us_jb_1/retry", headers=FLATFILE)
        assert response.json()["data"]["id"] == "us_jb_1"
        assert client.get("/v1/jobs/us_jb_1", headers=FLATFILE).json()["data"]["id"] == "us_jb_1"


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/v1/nothing-here", "errors"),
        ("/api/v1/jobs/x/y", "code"),
        ("/api/v1/jobz", "code"),
        ("/api/v1", "code"),
        ("/elsewhere", "errors"),
    ],
)
def test_unknown_paths_are_404_in_the_owning_apis_error_shape(mock: AsgiClient, path: str, shape: str) -> None:
    response = mock.get(path, headers=FLATFILE)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert shape in response.json()
    assert path in response.text


@pytest.mark.parametrize(
    ("path", "method", "allow", "shape"),
    [
        ("/v1/jobs/us_jb_1", "PUT", "GET, DELETE, PATCH", "errors"),
        ("/v1/jobs", "DELETE", "GET, POST", "errors"),
        ("/v1/jobs/us_jb_1/plan", "POST", "GET, PUT, PATCH", "errors"),
        ("/api/v1/jobs", "POST", "GET", "code"),
        ("/api/v1/jobs/j1:retry", "GET", "POST", "code"),
        ("/api/v1/jobs/j1:cancel", "HEAD", "POST", None),
    ],
)
def test_wrong_method_is_405_with_exactly_the_specs_methods(
    mock: AsgiClient, path: str, method: str, allow: str, shape: str | None
) -> None:
    response = mock.request(method, path, headers=FLATFILE)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    if shape:
        assert shape in response.json()
        assert method in response.text


@pytest.mark.parametrize(
    ("path", "allow"), [("/v1/jobs/us_jb_1", "GET, DELETE, PATCH"), ("/api/v1/jobs/j:retry", "POST")]
)
def test_options_answers_with_the_same_allow_without_auth(mock: AsgiClient, path: str, allow: str) -> None:
    response = mock.request("OPTIONS", path)
    assert response.status_code == 204
    assert response.headers["allow"] == allow
    assert response.content == b""


def test_root_lists_apis_operations_and_examples(mock: AsgiClient) -> None:
    listing = mock.get("/").json()
    apis = {api["name"]: api for api in listing["apis"]}
    assert set(apis) == {"flatfile", "sift"}
    assert apis["flatfile"]["swaggerUi"] == "/v1/ui/"
    assert apis["sift"]["swaggerUi"] == "/sift/ui/"
    flatfile_ops = {op["operationId"]: op for op in apis["flatfile"]["operations"]}
    assert len(flatfile_ops) == 17
    assert flatfile_ops["getJob"]["path"] == "/v1/jobs/{jobId}"
    assert "jobNotFound" in flatfile_ops["getJob"]["responses"]["404"]
    sift_ops = {op["operationId"] for op in apis["sift"]["operations"]}
    assert sift_ops == {"listJobs", "cancelJob", "retryJob"}


@pytest.mark.parametrize(
    ("ui", "spec", "title"), [("/v1/ui/", "/v1/openapi.json", "Flatfile"), ("/sift/ui/", "/sift/openapi.json", "Sift")]
)
def test_swagger_ui_and_spec_are_served_per_api(mock: AsgiClient, ui: str, spec: str, title: str) -> None:
    page = mock.get(ui)
    assert page.status_code == 200
    assert "swagger-ui" in page.text
    assert spec in page.text
    assert mock.get(ui + "swagger-ui-bundle.js").status_code == 200
    document = mock.get(spec).json()
    assert title in document["info"]["title"]


@pytest.mark.parametrize(("api", "spec"), [("flatfile", "/v1/openapi"), ("sift", "/sift/openapi")])
def test_the_spec_is_served_as_written_with_the_mock_as_first_server(mock: AsgiClient, api: str, spec: str) -> None:
    source = yaml.safe_load(spec_path(api).read_text(encoding="utf-8"))
    as_json = mock.get(spec + ".json")
    as_yaml = mock.get(spec + ".yaml")
    assert (as_json.headers["content-type"], as_yaml.headers["content-type"]) == (
        "application/json",
        "application/yaml",
    )
    servers = [{"url": "/v1" if api == "flatfile" else "/", "description": "this mock (jobs-mock)"}, *source["servers"]]
    assert yaml.safe_load(as_yaml.text) == {**source, "servers": servers}
    assert as_json.json() == json.loads(json.dumps({**source, "servers": servers}))
    assert "$ref" in as_json.text  # named schemas stay named: Swagger UI shows them as models
    validate(as_json.json())


DATED_SPEC = """
openapi: 3.0.3
info: {title: Dated, version: "1"}
x-error-format: flatfile
servers: [{url: /d}]
paths:
  /days/{id}:
    get:
      operationId: getDay
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: A day, its example date unquoted.
          content:
            application/json:
              schema: {type: object, properties: {day: {type: string, format: date}}}
              example: {day: 2024-05-01}
"""


def test_an_unquoted_date_in_a_spec_stays_the_string_json_has(
    tmp_path: Path, mock_with: Callable[..., AsgiClient]
) -> None:
    """YAML would read `2024-05-01` as a date; OpenAPI's JSON types say string (it used to stop the mock at start)."""
    spec = tmp_path / "dated.yaml"
    spec.write_text(DATED_SPEC)
    client = mock_with(apis=(str(spec),))
    assert client.get("/d/days/x").json() == {"day": "2024-05-01"}
    served = client.get("/d/openapi.json").json()
    assert served["paths"]["/days/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["example"] == {
        "day": "2024-05-01"
    }
    assert (
        yaml.safe_load(client.get("/d/openapi.yaml").text)["paths"]
        == yaml.safe_load(client.get("/d/openapi.json").text)["paths"]
    )
