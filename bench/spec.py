"""Read-only access to the bundled specs: operations, their examples and their documented schemas."""

from functools import cache
from typing import Any

from jobs_openapi import Resolver, load_document, operations


@cache
def load_spec(api: str) -> dict[str, Any]:
    document: dict[str, Any] = load_document(api)
    return document


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """``node`` with its local ``$ref`` (if any) followed, as often as it takes."""
    return Resolver(spec).resolve(node)


def find_operation(spec: dict[str, Any], operation_id: str) -> Any:
    for found in operations(spec):
        if found.operation.get("operationId") == operation_id:
            return found.operation
    raise KeyError(f"the spec has no operation {operation_id!r}")


def first_request_example(spec: dict[str, Any], operation_id: str) -> Any:
    """The value of the first named example of the operation's JSON request body."""
    body = resolve(spec, find_operation(spec, operation_id)["requestBody"])
    examples = body["content"]["application/json"]["examples"]
    return resolve(spec, next(iter(examples.values())))["value"]


def response_schema(spec: dict[str, Any], operation_id: str, status: int) -> dict[str, Any]:
    """The JSON schema documented for one status of an operation."""
    response = resolve(spec, find_operation(spec, operation_id)["responses"][str(status)])
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema
