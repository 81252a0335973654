"""Validation: every violation of path, query, headers and body is listed with its field; never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from jobs_openapi import spec_path

from mock_server.app import build_app
from mock_server.settings import Limits, Settings
from tests.support.servers import AsgiClient

AUTH = {"Authorization": "Bearer t"}
FLATFILE = {**AUTH, "X-Disable-Hooks": "true"}
JOB_CONFIG = {"type": "workbook", "operation": "submitAction", "source": "us_wb_1"}


def _keys(response) -> list[str]:
    return [error.get("key") for error in response.json()["errors"]]


def test_every_violation_is_listed_with_its_field(mock: AsgiClient, assert_conforms) -> None:
    response = mock.get("/v1/jobs?pageSize=abc&pageNumber=0&sortDirection=sideways", headers=AUTH)
    assert response.status_code == 400
    assert _keys(response) == ["X-Disable-Hooks", "pageSize", "pageNumber", "sortDirection"]
    messages = " | ".join(error["message"] for error in response.json()["errors"])
    assert "header parameter 'X-Disable-Hooks' is required" in messages
    assert "'abc' is not of type" in messages.replace('"', "'")
    assert_conforms("flatfile", "GET", "/jobs", response)


def test_header_value_outside_its_enum(mock: AsgiClient) -> None:
    response = mock.get("/v1/jobs/us_jb_1", headers={**AUTH, "X-Disable-Hooks": "false"})
    assert response.status_code == 400
    assert _keys(response) == ["X-Disable-Hooks"]


def test_query_values_are_coerced_to_their_schema_types(mock: AsgiClient) -> None:
    ok = mock.get("/v1/jobs?pageSize=5&pageNumber=2&excludeChildJobs=true&sortDirection=asc", headers=FLATFILE)
    assert ok.status_code == 200
    assert mock.get("/v1/jobs?excludeChildJobs=yes", headers=FLATFILE).status_code == 400
    assert mock.get("/v1/jobs?pageSize=1.5", headers=FLATFILE).status_code == 400
    assert mock.get("/v1/jobs?pageSize=1&pageSize=2", headers=FLATFILE).status_code == 400


def test_body_fields_are_named_by_their_path(mock: AsgiClient, assert_conforms) -> None:
    response = mock.post("/v1/jobs", headers=FLATFILE, json={"type": "workbook", "trigger": "sometime"})
    assert response.status_code == 400
    keys = _keys(response)
    assert {"operation", "source", "trigger"} <= set(keys)
    assert_conforms("flatfile", "POST", "/jobs", response)
    assert mock.post("/v1/jobs", headers=FLATFILE, json=JOB_CONFIG).status_code == 200


def test_nested_body_field_path(mock: AsgiClient) -> None:
    response = mock.post("/v1/jobs/us_jb_1/split", headers=FLATFILE, json={"parts": "many", "runInParallel": "yes"})
    assert response.status_code == 400
    assert "runInParallel" in _keys(response)


@pytest.mark.parametrize(
    ("content", "content_type", "needle"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b'{"type": "\xff\xfe"}', "application/json", "not valid UTF-8"),
        (b"type=workbook", "application/x-www-form-urlencoded", "is not accepted"),
        (json.dumps(JOB_CONFIG).encode(), None, "without Content-Type"),
        (json.dumps(JOB_CONFIG).encode(), "application/json; charset=latin-1", "charset"),
        (b"NaN", "application/json", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", "not valid JSON"),
        (b"", "application/json", "body is required"),
    ],
)
def test_bad_bodies_are_400_naming_the_body(
    mock: AsgiClient, assert_conforms, content: bytes, content_type: str | None, needle: str
) -> None:
    headers = {**FLATFILE, **({"Content-Type": content_type} if content_type else {})}
    response = mock.post("/v1/jobs", headers=headers, content=content)
    assert response.status_code == 400, response.text
    assert _keys(response) == ["body"]
    assert needle in response.text
    assert_conforms("flatfile", "POST", "/jobs", response)


def test_optional_body_may_be_absent(mock: AsgiClient) -> None:
    assert mock.post("/v1/jobs/us_jb_1/ack", headers=FLATFILE).status_code == 200


def test_oversized_body_is_413(assert_conforms, mock_with: Callable[..., AsgiClient]) -> None:
    client = mock_with(apis=("flatfile",), limits=Limits(max_body_bytes=64))
    big = {**JOB_CONFIG, "info": "x" * 100}
    response = client.post("/v1/jobs", headers=FLATFILE, json=big)
    assert response.status_code == 413
    assert _keys(response) == ["body"]
    assert "64 bytes" in response.text
    assert_conforms("flatfile", "POST", "/jobs", response)
    assert client.post("/v1/jobs", headers=FLATFILE, json=JOB_CONFIG).status_code == 413
    small = client.post("/v1/jobs/us_jb_1/ack", headers=FLATFILE, json={"progress": 5})
    assert small.status_code == 200


def test_default_limit_is_the_documented_megabyte(mock: AsgiClient) -> None:
    response = mock.post("/v1/jobs", headers=FLATFILE, json={**JOB_CONFIG, "info": "x" * 1_048_576})
    assert response.status_code == 413


def test_sift_violations_are_bad_request_field_violations(mock: AsgiClient, assert_conforms) -> None:
    response = mock.get("/api/v1/jobs?pageSize=-1&orderBy=name", headers=AUTH)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 3
    fields = [violation["field"] for violation in body["details"][0]["fieldViolations"]]
    assert fields == ["pageSize", "orderBy"]
    assert body["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert_conforms("sift", "GET", "/api/v1/jobs", response)


@pytest.mark.parametrize("mode", ["static", "stateful"])
def test_a_filter_that_is_not_cel_is_refused_in_both_modes(mode: str, mock_with: Callable[..., AsgiClient]) -> None:
    response = mock_with(mode=mode).get("/api/v1/jobs", params={"filter": "((("}, headers=AUTH)
    assert response.status_code == 400
    assert response.json() == {
        "code": 3,
        "message": "invalid filter: syntax error at line 1, column 3: (((",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [
                    {"field": "filter", "description": "invalid filter: syntax error at line 1, column 3: ((("}
                ],
            }
        ],
    }


@pytest.mark.parametrize("expression", ['job_status == "JOB_STATUS_FAILED"', "", "  "])
def test_a_cel_filter_or_none_is_accepted_in_static_mode(mock: AsgiClient, expression: str) -> None:
    assert mock.get("/api/v1/jobs", params={"filter": expression}, headers=AUTH).status_code == 200


def _sift_spec_with_filter_language(tmp_path: Path, language: str | None) -> str:
    document = yaml.safe_load(spec_path("sift").read_text(encoding="utf-8"))
    (parameter,) = [p for p in document["paths"]["/api/v1/jobs"]["get"]["parameters"] if p["name"] == "filter"]
    parameter.pop("x-filter-language")
    if language is not None:
        parameter["x-filter-language"] = language
    path = tmp_path / "sift-filter.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return str(path)


def test_the_filter_language_comes_from_the_spec(tmp_path: Path, mock_with: Callable[..., AsgiClient]) -> None:
    plain = mock_with(apis=(_sift_spec_with_filter_language(tmp_path, None),))
    assert plain.get("/api/v1/jobs", params={"filter": "((("}, headers=AUTH).status_code == 200


def test_an_unknown_filter_language_stops_the_mock_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="x-filter-language 'sql' is not supported: use one of cel"):
        build_app(Settings(apis=(_sift_spec_with_filter_language(tmp_path, "sql"),)))


@pytest.mark.parametrize("mode", ["static", "stateful"])
def test_a_filter_over_the_nesting_limit_is_refused_in_both_modes(
    mode: str, mock_with: Callable[..., AsgiClient]
) -> None:
    response = mock_with(mode=mode).get("/api/v1/jobs", params={"filter": "(" * 55 + "true" + ")" * 55}, headers=AUTH)
    assert (response.status_code, response.json()["code"]) == (400, 3)
    assert response.json()["message"] == "invalid filter: nested 55 levels deep, more than the limit of 16"
