"""Response validation: a real answer against what the spec documents for its operation, every violation named.

The counterpart of `validation.py` for the other direction, with the same compiled validators (`Response.validator`,
`Response.header_parameters`) and the same messages: the status must be documented, the content type must be the
documented one, the body must match that status's schema, and the documented headers theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mock_server.errors import Violation
from mock_server.spec import Operation
from mock_server.validation import capped, json_body, parameter_value, schema_violations, split_content_type
from mock_server.wire import JSON_MEDIA_TYPE


@dataclass(slots=True)
class CheckedResponse:
    violations: list[Violation]
    body: Any  # the parsed JSON body, or None (no body, not JSON, or not parseable)


def validate_response(
    operation: Operation, status: int, headers: Mapping[str, Sequence[str]], body: bytes
) -> CheckedResponse:
    """`headers` are multi-valued with lower-case names; `body` is decoded (no content encoding left)."""
    response = operation.responses.get(status)
    if response is None:
        message = f"status {status} is not documented for {operation.operation_id}; documented: {operation.documented_statuses()}"
        return CheckedResponse([Violation("status", message)], None)
    violations: list[Violation] = []
    for parameter in response.header_parameters:
        values = headers.get(parameter.name.lower(), ())
        if not values:
            if parameter.required:
                violations.append(Violation(parameter.name, f"response header {parameter.name!r} is required"))
            continue
        value, problems = parameter_value(parameter, values)
        violations.extend(
            problems
            or schema_violations(parameter.validator, value, f"response header {parameter.name!r}", parameter.name)
        )
    if response.media_type is None:
        return CheckedResponse(violations, None)
    content_type = headers.get("content-type", ())
    media_type, options = split_content_type(content_type[-1] if content_type else None)
    if media_type != response.media_type:
        sent = f"content type {media_type!r}" if media_type else "no Content-Type"
        violations.append(
            Violation("content-type", f"{sent} is not documented for {status}: expected {response.media_type}")
        )
        return CheckedResponse(violations, None)
    if media_type != JSON_MEDIA_TYPE or response.validator is None:
        return CheckedResponse(violations, None)
    if not body:
        violations.append(Violation("body", f"the body is empty; {status} documents {response.media_type}"))
        return CheckedResponse(violations, None)
    value, problems = json_body(body, options)
    if problems:
        return CheckedResponse([*violations, *problems], None)
    violations.extend(schema_violations(response.validator, value, "body"))
    return CheckedResponse(capped(violations), value)
