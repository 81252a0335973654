"""The bundled specs: valid OpenAPI 3.0.3, the agreed operations, and every example valid against its schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jobs_openapi import HTTP_METHODS, spec_path
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]

FLATFILE_OPERATIONS = {
    ("get", "/jobs"): "listJobs",
    ("post", "/jobs"): "createJob",
    ("get", "/jobs/{jobId}"): "getJob",
    ("patch", "/jobs/{jobId}"): "updateJob",
    ("delete", "/jobs/{jobId}"): "deleteJob",
    ("post", "/jobs/{jobId}/execute"): "executeJob",
    ("get", "/jobs/{jobId}/plan"): "getJobPlan",
    ("put", "/jobs/{jobId}/plan"): "replaceJobPlan",
    ("patch", "/jobs/{jobId}/plan"): "updateJobPlan",
    ("post", "/jobs/{jobId}/ack"): "ackJob",
    ("post", "/jobs/{jobId}/outcome/ack"): "ackJobOutcome",
    ("post", "/jobs/{jobId}/complete"): "completeJob",
    ("post", "/jobs/{jobId}/fail"): "failJob",
    ("post", "/jobs/{jobId}/cancel"): "cancelJob",
    ("post", "/jobs/{jobId}/retry"): "retryJob",
    ("post", "/jobs/preview-mutation"): "previewMutation",
    ("post", "/jobs/{jobId}/split"): "splitJob",
}
SIFT_OPERATIONS = {
    ("get", "/api/v1/jobs"): "listJobs",
    ("post", "/api/v1/jobs/{jobId}:cancel"): "cancelJob",
    ("post", "/api/v1/jobs/{jobId}:retry"): "retryJob",
}

# Each payload printed on a seed page: (fixture, api, operationId, where it is documented).
SEED_PAYLOADS = [
    ("flatfile_retry_200.json", "flatfile", "retryJob", "200"),
    ("flatfile_fail_request.json", "flatfile", "failJob", "request"),
    ("flatfile_fail_200.json", "flatfile", "failJob", "200"),
    ("flatfile_list_200.json", "flatfile", "listJobs", "200"),
    ("flatfile_replace_plan_request.json", "flatfile", "replaceJobPlan", "request"),
    ("flatfile_replace_plan_200.json", "flatfile", "replaceJobPlan", "200"),
    ("sift_retry_200.json", "sift", "retryJob", "200"),
]

_SPECS: dict[str, dict[str, Any]] = {}


def load(api: str) -> dict[str, Any]:
    if api not in _SPECS:
        _SPECS[api] = yaml.safe_load(spec_path(api).read_text())
    return _SPECS[api]


def pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def follow(spec: dict[str, Any], node: Any, where: str) -> tuple[Any, str]:
    """Follow local `$ref`s of parameters, responses and examples; return the target and its pointer."""
    while isinstance(node, dict) and "$ref" in node:
        where = node["$ref"]
        node = spec
        for part in where.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node, where


def validator(spec: dict[str, Any], schema_pointer: str) -> OAS30Validator:
    # The spec is the root document, so `#/components/...` references resolve inside it.
    return OAS30Validator({**spec, "$ref": schema_pointer}, format_checker=oas30_format_checker)


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method, path, item[method]


def operation(api: str, operation_id: str) -> tuple[str, str, dict[str, Any]]:
    return next(o for o in operations(load(api)) if o[2]["operationId"] == operation_id)


def media_examples(spec: dict[str, Any], content: dict[str, Any], where: str) -> Iterator[tuple[str, str, Any]]:
    """(label, schema pointer, value) for every example of every media type."""
    for media_type, media in content.items():
        schema_at = pointer(*where.removeprefix("#/").split("/"), "content", media_type, "schema")
        schema_at = media["schema"].get("$ref", schema_at)
        if "example" in media:
            yield f"{where} {media_type} example", schema_at, media["example"]
        for name, example in media.get("examples", {}).items():
            example, _ = follow(spec, example, "")
            yield f"{where} {media_type} {name}", schema_at, example["value"]


def all_examples(api: str) -> Iterator[tuple[str, str, Any]]:
    spec = load(api)
    for method, path, op in operations(spec):
        for level, base in ((spec["paths"][path], pointer("paths", path)), (op, pointer("paths", path, method))):
            for index, raw in enumerate(level.get("parameters", [])):
                param, where = follow(spec, raw, f"{base}/parameters/{index}")
                if "example" in param:
                    schema_at = param["schema"].get("$ref", f"{where}/schema")
                    yield f"{op['operationId']} parameter {param['name']}", schema_at, param["example"]
        if "requestBody" in op:
            body, where = follow(spec, op["requestBody"], pointer("paths", path, method, "requestBody"))
            yield from media_examples(spec, body["content"], where)
        for status, raw in op["responses"].items():
            response, where = follow(spec, raw, pointer("paths", path, method, "responses", status))
            yield from media_examples(spec, response.get("content", {}), where)


EXAMPLES = [(api, label, at, value) for api in ("flatfile", "sift") for label, at, value in all_examples(api)]


@pytest.mark.parametrize("api", ["flatfile", "sift"])
def test_spec_is_valid_openapi_3_0_3(api: str) -> None:
    spec = load(api)
    assert spec["openapi"] == "3.0.3"
    validate(spec)


@pytest.mark.parametrize(("api", "expected"), [("flatfile", FLATFILE_OPERATIONS), ("sift", SIFT_OPERATIONS)])
def test_operation_inventory_is_exact(api: str, expected: dict[tuple[str, str], str]) -> None:
    found = {(method, path): op["operationId"] for method, path, op in operations(load(api))}
    assert found == expected


def test_servers_are_the_documented_base_urls() -> None:
    assert load("flatfile")["servers"][0]["url"] == "https://api.x.flatfile.com/v1"
    assert load("sift")["servers"][0]["url"] == "https://your-sift-api-url.com"


@pytest.mark.parametrize(("api", "error_format"), [("flatfile", "flatfile"), ("sift", "google-rpc-status")])
def test_every_operation_is_documented_secured_and_has_its_errors(api: str, error_format: str) -> None:
    spec = load(api)
    assert spec["x-error-format"] == error_format
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    error_schema = "#/components/schemas/Errors" if api == "flatfile" else "#/components/schemas/Status"
    for _, path, op in operations(spec):
        assert op.get("summary") and op.get("description"), op["operationId"]
        assert op.get("security", spec.get("security")) == [{"bearerAuth": []}], op["operationId"]
        expected_errors = {"400", "401"} | ({"404"} if "{jobId}" in path else set())
        assert expected_errors <= set(op["responses"]), op["operationId"]
        for status in expected_errors:
            response, _ = follow(spec, op["responses"][status], "")
            media = response["content"]["application/json"]
            assert media["schema"]["$ref"] == error_schema
            assert media["examples"], f"{op['operationId']} {status} has no named example"


def test_flatfile_requires_x_disable_hooks_true_everywhere() -> None:
    spec = load("flatfile")
    for _, _, op in operations(spec):
        params = [follow(spec, p, "")[0] for p in op.get("parameters", [])]
        hooks = [p for p in params if p["name"] == "X-Disable-Hooks"]
        assert len(hooks) == 1, op["operationId"]
        assert hooks[0]["in"] == "header" and hooks[0]["required"] is True
        assert hooks[0]["schema"] == {"type": "string", "enum": ["true"]}


@pytest.mark.parametrize("api", ["flatfile", "sift"])
def test_every_response_has_a_named_example(api: str) -> None:
    spec = load(api)
    for _, _, op in operations(spec):
        for status, raw in op["responses"].items():
            response, _ = follow(spec, raw, "")
            for media in response.get("content", {}).values():
                assert media.get("examples"), f"{op['operationId']} {status}"


def test_examples_were_found() -> None:
    counts = {api: sum(1 for e in EXAMPLES if e[0] == api) for api in ("flatfile", "sift")}
    assert counts["flatfile"] >= 60 and counts["sift"] >= 10, counts


@pytest.mark.parametrize(("api", "label", "schema_at", "value"), EXAMPLES, ids=[f"{e[0]}: {e[1]}" for e in EXAMPLES])
def test_example_is_valid_against_its_schema(api: str, label: str, schema_at: str, value: Any) -> None:
    errors = sorted(validator(load(api), schema_at).iter_errors(value), key=str)
    assert not errors, f"{label}: " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


@pytest.mark.parametrize(
    ("schema_at", "value"),
    [
        ("#/components/schemas/JobResponse", {"data": {"id": "us_jb_1", "type": "workbook"}}),
        (
            "#/components/schemas/Job",
            {
                "id": "j",
                "createdBy": "u",
                "createdAt": "not a date",
                "updatedAt": "2023-10-30T20:04:28Z",
                "type": "workbook",
                "operation": "o",
                "source": "s",
            },
        ),
        ("#/components/schemas/JobStatus", "finished"),
        ("#/components/schemas/Property", {"type": "enum", "key": "color"}),
        ("#/components/schemas/JobSubject", {"type": "resource"}),
    ],
)
def test_the_example_check_can_fail(schema_at: str, value: Any) -> None:
    assert list(validator(load("flatfile"), schema_at).iter_errors(value))


@pytest.mark.parametrize(("fixture", "api", "operation_id", "where"), SEED_PAYLOADS)
def test_seed_payload_validates_and_is_a_named_example(fixture: str, api: str, operation_id: str, where: str) -> None:
    payload = json.loads((FIXTURES / fixture).read_text())
    spec = load(api)
    method, path, op = operation(api, operation_id)
    if where == "request":
        located = follow(spec, op["requestBody"], pointer("paths", path, method, "requestBody"))
    else:
        located = follow(spec, op["responses"][where], pointer("paths", path, method, "responses", where))
    examples = list(media_examples(spec, located[0]["content"], located[1]))
    schema_at = examples[0][1]
    errors = list(validator(spec, schema_at).iter_errors(payload))
    assert not errors, [e.message for e in errors]
    assert payload in [value for _, _, value in examples], (
        f"{fixture} is not verbatim among {operation_id} {where} examples"
    )


def test_specs_ship_inside_the_wheel(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-compile",
            "--target",
            str(target),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    probe = "from jobs_openapi import spec_path; import yaml; print(yaml.safe_load(spec_path('sift').read_text())['openapi'], spec_path('flatfile'))"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)},
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert out.startswith("3.0.3 ") and str(target) in out
