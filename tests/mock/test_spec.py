"""`load_api`: what the mock makes of a spec, and the clear error a spec it cannot serve gets at start."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mock_server.spec import load_api


def spec(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "Things", "version": "1"},
        "servers": [{"url": "https://api.example.com/v2"}],
        "x-error-format": "flatfile",
        "paths": {
            "/things/{id}": {
                "parameters": [
                    {"name": "id", "in": "path", "schema": {"type": "integer"}},
                    {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "integer"}}},
                ],
                "get": {
                    "operationId": "getThing",
                    "parameters": [
                        {"name": "tags", "in": "query", "style": "form", "explode": False, "schema": {"type": "array"}},
                        {"$ref": "#/components/parameters/Trace"},
                    ],
                    "responses": {
                        "404": {"description": "missing"},
                        "200": {
                            "description": "a thing",
                            "headers": {"X-Rate": {"schema": {"type": "integer", "example": 7}}},
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Thing"},
                                    "examples": {"second": {"value": {"id": 2}}, "first": {"value": {"id": 1}}},
                                }
                            },
                        },
                    },
                },
            }
        },
        "components": {
            "parameters": {"Trace": {"name": "X-Trace", "in": "header", "schema": {"type": "boolean"}}},
            "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}},
            "schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "integer"}}}},
        },
    }
    document.update(overrides)
    return document


def load(tmp_path: Path, document: dict[str, Any]) -> Any:
    path = tmp_path / "things.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_api(str(path))


def test_an_operation_as_the_mock_serves_it(tmp_path: Path) -> None:
    api = load(tmp_path, spec())
    (operation,) = api.operations
    assert (api.name, api.base_path, api.namespace) == ("things", "/v2", "/v2")
    assert (operation.method, operation.url_path, operation.default_status) == ("GET", "/v2/things/{id}", 200)
    assert list(operation.responses) == [200, 404]  # by status, whatever the spec's order
    assert list(operation.responses[200].examples) == ["second", "first"]  # spec order: the first is the default
    assert operation.responses[200].headers == ((b"x-rate", b"7"),)
    assert api.path_items == {"/v2/things/{id}": {"GET": operation}}


def test_parameters_merge_path_item_and_operation_and_follow_refs(tmp_path: Path) -> None:
    (operation,) = load(tmp_path, spec()).operations
    by_name = {parameter.name: parameter for parameter in operation.parameters}
    assert list(by_name) == ["id", "tags", "X-Trace"]
    assert (by_name["id"].required, by_name["id"].json_type) == (True, "integer")
    assert (by_name["tags"].explode, by_name["tags"].item_type) == (False, None)  # the operation's own wins
    assert (by_name["X-Trace"].location, by_name["X-Trace"].required, by_name["X-Trace"].explode) == (
        "header",
        False,
        False,
    )


def test_a_response_example_that_breaks_its_schema_is_served_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    document = spec()
    content = document["paths"]["/things/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    content["examples"] = {"bad": {"value": {"id": "one"}}}
    with caplog.at_level(logging.WARNING):
        (operation,) = load(tmp_path, document).operations
    assert operation.responses[200].examples["bad"].value == {"id": "one"}
    assert "example 'bad' of response 200 does not match its schema" in caplog.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"openapi": "3.1.0"}, "OpenAPI 3.1.0 is not supported; write the spec as OpenAPI 3.0.x"),
        ({"x-error-format": "problem+json"}, "x-error-format 'problem+json' is not supported"),
        (
            {"security": [{"key": []}]},
            "GET /things/{id} uses security scheme 'key'; the mock supports HTTP bearer only",
        ),
    ],
)
def test_a_spec_the_mock_cannot_serve_is_refused_naming_why(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        load(tmp_path, spec(**change))


def test_an_operation_without_a_2xx_response_is_refused(tmp_path: Path) -> None:
    document = spec()
    del document["paths"]["/things/{id}"]["get"]["responses"]["200"]
    with pytest.raises(ValueError, match="documents no 2xx response for the mock to answer with"):
        load(tmp_path, document)


def test_an_echo_pointer_outside_the_response_schema_is_refused(tmp_path: Path) -> None:
    document = spec()
    document["paths"]["/things/{id}"]["get"]["x-mock-echo"] = {"/name": "id"}
    with pytest.raises(ValueError, match="x-mock-echo pointer '/name' is not in the 2xx response schema"):
        load(tmp_path, document)


def test_an_echo_target_fills_the_documented_example_per_request(tmp_path: Path) -> None:
    document = spec()
    document["paths"]["/things/{id}"]["get"]["x-mock-echo"] = {"/id": "id"}
    (operation,) = load(tmp_path, document).operations
    template = operation.responses[200].examples["second"].template
    assert (template.render({"id": 41}), template.render({"id": "not a number"})) == (b'{"id":41}', b'{"id":2}')
