"""A spec's schemas as the mock uses them: OpenAPI 3.0 converted to JSON Schema with the spec's components
embedded (one copy for requests, one for responses), compiled once by jsonschema-rs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema_rs

from mock_server.schemathesis_adapter import openapi_to_json_schema


def compile_schema(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A validator for a JSON Schema: draft 4 (OpenAPI 3.0's), formats checked."""
    return jsonschema_rs.Draft4Validator(schema, validate_formats=True)


def json_type(schema: Any) -> str | None:
    """The JSON type a schema gives a value (the first non-null one of its branches), if it gives one."""
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if isinstance(kind, str):
        return kind
    for branch in schema.get("anyOf", ()) + schema.get("oneOf", ()) + schema.get("allOf", ()):
        found = json_type(branch)
        if found and found != "null":
            return found
    return None


class Schemas:
    """The schemas of one spec; a schema that names a component (`#/components/schemas/Job`) finds it embedded."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        components = document.get("components", {}).get("schemas", {})
        self._components: dict[bool, dict[str, Any]] = {
            response: {name: openapi_to_json_schema(value, response=response) for name, value in components.items()}
            for response in (False, True)
        }

    def json_schema(self, schema: Any, *, response: bool) -> dict[str, Any]:
        """A request (`response=False`) or response schema as JSON Schema, with the components it may name."""
        converted = openapi_to_json_schema(schema, response=response)
        return {**converted, "components": {"schemas": self._components[response]}}

    def validator(self, schema: Any, *, response: bool) -> jsonschema_rs.Validator:
        return compile_schema(self.json_schema(schema, response=response))

    def subschema(self, schema: dict[str, Any], tokens: tuple[str, ...]) -> dict[str, Any] | None:
        """The part of a response JSON Schema that describes the value at `tokens` inside a value of `schema`."""
        if not tokens:
            return schema
        if "$ref" in schema:
            prefix, _, name = schema["$ref"].rpartition("/")
            component = self._components[True].get(name) if prefix == "#/components/schemas" else None
            return self.subschema(component, tokens) if component is not None else None
        head, rest = tokens[0], tokens[1:]
        properties = schema.get("properties", {})
        if head in properties:
            return self.subschema(properties[head], rest)
        if head.isdigit() and isinstance(schema.get("items"), dict):
            return self.subschema(schema["items"], rest)
        for keyword in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(keyword, ()):
                found = self.subschema(branch, tokens)
                if found is not None:
                    return found
        return None
