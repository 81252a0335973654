"""Everything the mock takes from Schemathesis' internals, in one module: an upgrade of Schemathesis (pinned
exactly in pyproject.toml) touches this file only, and `tests/mock/test_schemathesis_adapter.py` says at once
whether what it relies on still exists and behaves as used.

The mock uses two things: Schemathesis' conversion of an OpenAPI 3.0 schema to JSON Schema (so the mock and
`jobs-contract` read `nullable`, `readOnly` and `writeOnly` alike) and its JSON Schema data generator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schemathesis.specs.openapi.converter import to_json_schema

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

FormatStrategies = dict[str, "SearchStrategy[Any]"]


def openapi_to_json_schema(schema: Any, *, response: bool) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: `nullable` becomes a `null` branch, and a response schema drops its
    `writeOnly` properties (a request schema its `readOnly` ones)."""
    return to_json_schema(schema, "nullable", is_response_schema=response)


def json_schema_strategy(
    schema: dict[str, Any], *, ascii_without: str, formats: FormatStrategies | None = None
) -> SearchStrategy[Any]:
    """A Hypothesis strategy for values of a draft 4 JSON Schema, with OpenAPI's formats (`formats` adds some or
    draws others its own way); its text is ASCII without the characters of `ascii_without` and without NUL."""
    # Imported on the first generated response: loading the generators costs start-up time otherwise.
    from schemathesis.generation.jsonschema.builder import build
    from schemathesis.generation.jsonschema.context import Alphabet
    from schemathesis.specs.openapi.formats import get_default_format_strategies

    alphabet = Alphabet(allow_x00=False, codec="ascii", exclude_characters=ascii_without)
    return build(schema, draft=4, formats={**get_default_format_strategies(), **(formats or {})}, alphabet=alphabet)
