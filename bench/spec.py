"""Read-only access to the bundled specs: operations, their examples and their documented schemas."""

from functools import cache
from typing import Any

import yaml
from jobs_openapi import spec_path
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@cache
def load_spec(api: str) -> dict[str, Any]:
    return yaml.safe_load(spec_path(api).read_text(encoding="utf-8"))


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """``node`` with its local ``$ref`` (if any) followed, as often as it takes."""
    resolver = Registry().with_resource("", Resource(spec, DRAFT4)).resolver()
    while "$ref" in node:
        node = resolver.lookup(node["$ref"]).contents
    return node


def find_operation(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    for item in spec["paths"].values():
        for method in HTTP_METHODS:
            if item.get(method, {}).get("operationId") == operation_id:
                return item[method]
    raise KeyError(f"the spec has no operation {operation_id!r}")


def first_request_example(spec: dict[str, Any], operation_id: str) -> Any:
    """The value of the first named example of the operation's JSON request body."""
    body = resolve(spec, find_operation(spec, operation_id)["requestBody"])
    examples = body["content"]["application/json"]["examples"]
    return resolve(spec, next(iter(examples.values())))["value"]


def response_schema(spec: dict[str, Any], operation_id: str, status: int) -> dict[str, Any]:
    """The JSON schema documented for one status of an operation."""
    response = resolve(spec, find_operation(spec, operation_id)["responses"][str(status)])
    return response["content"]["application/json"]["schema"]
