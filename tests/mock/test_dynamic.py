"""Generated data (`Prefer: dynamic=true`): valid against the response schema, readable, and the same for the
same seed and request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import jsonschema_rs
import pytest

from mock_server.dynamic import DataGenerator, tidied
from mock_server.errors import GenerationError
from mock_server.example_shapes import ANCHOR, WINDOW
from mock_server.schema import compile_schema
from mock_server.spec import Response, load_api

FLATFILE = load_api("flatfile")
SIFT = load_api("sift")
GET_JOB = next(operation for operation in FLATFILE.operations if operation.operation_id == "getJob")
JOB = GET_JOB.responses[200]


def response(schema: dict[str, Any] | None) -> Response:
    validator = compile_schema(schema) if schema is not None else None
    return Response(200, "application/json", {}, schema, validator, ())


def test_generated_data_validates_against_the_response_schema() -> None:
    generator = DataGenerator(seed=0)
    for n in range(5):
        assert JOB.validator is not None
        assert JOB.validator.is_valid(generator.generate(JOB, f"GET /v1/jobs/us_jb_{n}?"))


def test_the_same_seed_and_request_give_the_same_data_and_another_seed_other_data() -> None:
    key = "GET /v1/jobs/us_jb_1?"
    first = DataGenerator(seed=7).generate(JOB, key)
    assert DataGenerator(seed=7).generate(JOB, key) == first
    assert any(DataGenerator(seed=seed).generate(JOB, key) != first for seed in range(8, 12))


def test_a_caller_changing_generated_data_does_not_change_the_next_answer() -> None:
    generator = DataGenerator(seed=0)
    first = generator.generate(JOB, "GET /v1/jobs/us_jb_1?")
    first["data"] = "changed"
    assert generator.generate(JOB, "GET /v1/jobs/us_jb_1?")["data"] != "changed"


def test_text_is_printable_and_arrays_short() -> None:
    schema = {
        "type": "object",
        "required": ["tags"],
        "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
    }
    generator = DataGenerator(seed=3)
    for n in range(10):
        value = generator.generate(response(schema), str(n))
        assert set(value) == {"tags"}  # closed: no property the schema does not name
        assert len(value["tags"]) <= 3
        assert all(tag.isprintable() and tag.isascii() for tag in value["tags"])


def test_tidying_only_ever_tightens_a_schema() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "array"}}, "components": {"schemas": {}}}
    tight, _ = tidied(schema)
    assert (tight["additionalProperties"], tight["properties"]["a"]["maxItems"]) == (False, 3)
    assert "additionalProperties" not in schema  # the spec's own schema is left alone
    extra = {"a": [1], "b": 1}
    assert jsonschema_rs.Draft4Validator(schema).is_valid(extra)
    assert not jsonschema_rs.Draft4Validator(tight).is_valid(extra)


def test_a_response_without_a_schema_has_no_body() -> None:
    assert DataGenerator(seed=0).generate(response(None), "k") is None


def test_a_schema_no_value_satisfies_is_a_generation_error() -> None:
    impossible = {"type": "integer", "minimum": 5, "maximum": 1}
    with pytest.raises(GenerationError, match="no data can be generated for response 200"):
        DataGenerator(seed=0).generate(response(impossible), "k")


def _every_response() -> Iterator[tuple[str, Response]]:
    for api in (FLATFILE, SIFT):
        for operation in api.operations:
            for status, documented in operation.responses.items():
                if documented.schema is not None:
                    yield f"{api.name} {operation.operation_id} {status}", documented


def test_many_seeds_of_every_response_of_both_apis_validate() -> None:
    # A seed and a request key are hashed together into Hypothesis' seed: each pair is a draw of its own.
    for seed in range(3):
        generator = DataGenerator(seed=seed)
        for request in range(3):
            for label, documented in _every_response():
                value = generator.generate(documented, f"GET /x?n={request}")
                assert documented.validator is not None
                assert documented.validator.is_valid(value), f"{label}, seed {seed}, request {request}: {value}"


def _jobs(seed: int) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(Flatfile job, Sift job) generated for one seed, from the responses that hold one."""
    generator = DataGenerator(seed=seed)
    sift_get = next(operation for operation in SIFT.operations if operation.operation_id == "retryJob")
    for n in range(4):
        flatfile = generator.generate(JOB, f"GET /v1/jobs/us_jb_{n}?")["data"]
        sift = generator.generate(sift_get.responses[200], f"POST /api/v1/jobs/{n}:retry?")["job"]
        yield flatfile, sift


def _recent_utc(value: str) -> bool:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.endswith("Z") and ANCHOR - WINDOW <= moment <= ANCHOR


def test_generated_jobs_look_like_the_examples() -> None:
    job_keys = set(FLATFILE.document["components"]["schemas"]["JobConfig"]["properties"]) | set(
        FLATFILE.document["components"]["schemas"]["Job"]["allOf"][1]["properties"]
    )
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    for seed in range(10):
        for flatfile, sift in _jobs(seed):
            assert set(flatfile) <= job_keys  # closed over allOf: no key the spec does not name
            assert re.fullmatch(r"us_jb_[A-Za-z0-9]{8}", flatfile["id"])
            assert re.fullmatch(r"us_usr_[A-Za-z0-9]{8}", flatfile["createdBy"])
            assert all(_recent_utc(flatfile[key]) for key in ("createdAt", "updatedAt"))
            for free_form in ("metadata", "input", "result", "outcome", "partData"):
                assert flatfile.get(free_form, {}) == {}
            if "progress" in flatfile:
                assert isinstance(flatfile["progress"], int) and 0 <= flatfile["progress"] <= 100
            if "subject" in flatfile and "id" in flatfile["subject"]:
                assert flatfile["subject"]["id"].startswith("us_wb_")  # the subject's examples, not the job's
            for key in ("jobId", "organizationId", "createdByUserId", "modifiedByUserId"):
                assert key not in sift or uuid.fullmatch(sift[key]), sift
            # Sift's examples show times without a fraction of a second
            for key in ("createdDate", "modifiedDate"):
                assert key not in sift or (re.fullmatch(r"[\d-]+T[\d:]+Z", sift[key]) and _recent_utc(sift[key]))


def test_text_the_examples_show_is_drawn_from_them() -> None:
    shown = {"Submitted 50 of 100 records", "Job was failed", "Canceled by the user"}
    infos = {job["info"] for seed in range(10) for job, _ in _jobs(seed) if "info" in job}
    assert infos and infos <= shown | {"Starting job to submit action to webhook.site"}


@pytest.mark.parametrize(
    ("shown", "shape"),
    [
        (("us_jb_YOUR_ID", "us_jb_a1B2c3D4", "us_wb_1"), r"us_jb_[A-Za-z0-9]{8}"),
        (("ops@acme.io", "dev@example.org"), r"[a-z.]+@(acme\.io|example\.org)"),
        (("https://files.acme.io/a/b.csv",), r"https://files\.acme\.io/[a-z0-9/]+"),
        (("1250000", "4000000"), r"\d+"),
        (("2025-03-14T10:02:11Z",), r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"),
        (("2024-01-15",), r"\d{4}-\d\d-\d\d"),
        (("Job was failed", "Canceled by the user"), r"Job was failed|Canceled by the user"),
    ],
)
def test_a_string_keeps_the_shape_its_examples_show(shown: tuple[str, ...], shape: str) -> None:
    schema = {"type": "object", "required": ["value"], "properties": {"value": {"type": "string"}}}
    documented = Response(
        200, "application/json", {}, schema, compile_schema(schema), (), shown={"/properties/value": shown}
    )
    generator = DataGenerator(seed=5)
    for n in range(8):
        assert re.fullmatch(shape, generator.generate(documented, str(n))["value"])
