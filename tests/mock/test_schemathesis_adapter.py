"""What the mock relies on in Schemathesis' internals, pinned: a Schemathesis upgrade that breaks it fails here."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from hypothesis import HealthCheck, given, settings

from mock_server.schemathesis_adapter import json_schema_strategy, openapi_to_json_schema

JOB = {
    "type": "object",
    "required": ["id", "secret", "note"],
    "properties": {
        "id": {"type": "string", "readOnly": True},
        "secret": {"type": "string", "writeOnly": True},
        "note": {"type": "string", "nullable": True},
    },
}


def test_nullable_becomes_a_null_branch() -> None:
    converted = openapi_to_json_schema({"type": "string", "nullable": True}, response=False)
    validator = jsonschema_rs.Draft4Validator(converted)
    assert (validator.is_valid(None), validator.is_valid("x"), validator.is_valid(1)) == (True, True, False)


def test_a_response_schema_drops_write_only_properties_and_a_request_schema_read_only_ones() -> None:
    response = openapi_to_json_schema(JOB, response=True)
    request = openapi_to_json_schema(JOB, response=False)
    assert sorted(response["required"]) == ["id", "note"]
    assert sorted(request["required"]) == ["note", "secret"]
    assert jsonschema_rs.Draft4Validator(response).is_valid({"id": "a", "note": None})
    assert not jsonschema_rs.Draft4Validator(response).is_valid({"id": "a", "note": None, "secret": "s"})


def test_the_conversion_leaves_its_input_alone() -> None:
    schema = {"type": "string", "nullable": True}
    openapi_to_json_schema(schema, response=True)
    assert schema == {"type": "string", "nullable": True}


SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "createdAt", "ref"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "createdAt": {"type": "string", "format": "date-time"},
        "ref": {"$ref": "#/components/schemas/Ref"},
    },
    "components": {"schemas": {"Ref": {"type": "integer", "minimum": 3}}},
}


@settings(max_examples=25, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(json_schema_strategy(SCHEMA, ascii_without="\n\t"))
def test_the_strategy_draws_valid_ascii_values_with_formats_and_refs(value: Any) -> None:
    assert jsonschema_rs.Draft4Validator(SCHEMA, validate_formats=True).is_valid(value)
    assert value["name"].isascii() and not {"\n", "\t", "\x00"} & set(value["name"])
