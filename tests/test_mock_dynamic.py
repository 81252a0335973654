"""Generated data (`Prefer: dynamic=true`): valid against the response schema, readable, and the same for the
same seed and request."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from mock_server.dynamic import DataGenerator, tidied
from mock_server.errors import GenerationError
from mock_server.schema import compile_schema
from mock_server.spec import Response, load_api

FLATFILE = load_api("flatfile")
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
    tight = tidied(schema)
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
