"""Request validation against compiled JSON Schema validators, collecting every violation with its field."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from mock_server.errors import InvalidRequest, Violation
from mock_server.numbers import NumberError, integer, loads_json, number
from mock_server.spec import Operation, Parameter
from mock_server.wire import JSON_MEDIA_TYPE, Request

MAX_VIOLATIONS = 50

_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_BOOLEANS = {"true": True, "false": False}


@dataclass(slots=True)
class ValidRequest:
    parameters: dict[str, Any]  # coerced, by spec name
    body: Any  # parsed JSON, or None


def _coerce(text: str, json_type: str | None) -> Any:
    """A wire string as the schema's type when it spells one; otherwise unchanged, for the validator to reject.
    `NumberError` for a number the mock cannot read (too many digits, beyond a double)."""
    if json_type == "integer" and _INTEGER.fullmatch(text):
        return integer(text)
    if json_type == "number" and _NUMBER.fullmatch(text):
        return number(text) if any(mark in text for mark in ".eE") else integer(text)
    if json_type == "boolean" and text in _BOOLEANS:
        return _BOOLEANS[text]
    return text


def _field(error: jsonschema_rs.ValidationError) -> str:
    path = [str(token) for token in error.instance_path]
    if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required):
        path.append(str(error.kind.property))
    return ".".join(path) if path else "body"


def schema_violations(
    validator: jsonschema_rs.Validator, value: Any, label: str, name: str | None = None
) -> list[Violation]:
    """Every violation, named `name`, or by its place in the body (`fieldMapping.0.sourceField`) without one."""
    if validator.is_valid(value):
        return []
    return [Violation(name or _field(error), f"{label}: {error.message}") for error in validator.iter_errors(value)]


def parameter_value(parameter: Parameter, values: Sequence[str]) -> tuple[Any, list[Violation]]:
    label = f"{parameter.location} parameter {parameter.name!r}"
    try:
        if parameter.json_type == "array":
            items = list(values) if parameter.explode else [item for value in values for item in value.split(",")]
            return [_coerce(item, parameter.item_type) for item in items], []
        if len(values) > 1:
            return None, [Violation(parameter.name, f"{label} must be given once, not {len(values)} times")]
        return _coerce(values[0], parameter.json_type), []
    except NumberError as error:
        return None, [Violation(parameter.name, f"{label} {error}")]


def _parameters(
    operation: Operation,
    path_params: Mapping[str, str],
    query: Mapping[str, Sequence[str]],
    headers: Mapping[str, Sequence[str]],
) -> tuple[dict[str, Any], list[Violation]]:
    parameters: dict[str, Any] = {}
    violations: list[Violation] = []
    for parameter in operation.parameters:
        if parameter.location == "path":
            values: Sequence[str] = (path_params[parameter.name],) if parameter.name in path_params else ()
        elif parameter.location == "query":
            values = query.get(parameter.name, ())
        else:
            values = headers.get(parameter.name.lower(), ())
        if not values:
            if parameter.required:
                violations.append(
                    Violation(parameter.name, f"{parameter.location} parameter {parameter.name!r} is required")
                )
            continue
        value, problems = parameter_value(parameter, values)
        if problems:
            violations.extend(problems)
            continue
        label = f"{parameter.location} parameter {parameter.name!r}"
        problems = schema_violations(parameter.validator, value, label, parameter.name)
        if not problems and parameter.language is not None and isinstance(value, str):
            problem = parameter.language.problem(value, parameter.name)
            problems = [Violation(parameter.name, problem)] if problem else []
        violations.extend(problems)
        parameters[parameter.name] = value
    return parameters, violations


def _body(operation: Operation, request: Request, body: bytes) -> tuple[Any, list[Violation]]:
    spec = operation.body
    if spec is None:
        return None, []
    if not body:
        return None, [Violation("body", "a request body is required")] if spec.required else []
    media_type, options = split_content_type(request.content_type)
    accepted = ", ".join(spec.media_types)
    if media_type not in spec.media_types:
        sent = f"content type {media_type!r}" if media_type else "a body without Content-Type"
        return None, [Violation("body", f"{sent} is not accepted: send {accepted}")]
    if media_type != JSON_MEDIA_TYPE or spec.validator is None:
        return body, []
    value, problems = json_body(body, options)
    if problems:
        return None, problems
    return value, schema_violations(spec.validator, value, "body")


def split_content_type(content_type: str | None) -> tuple[str, str]:
    """The media type (lower case) and what follows it (`charset=...`)."""
    media_type, _, options = (content_type or "").partition(";")
    return media_type.strip().lower(), options


def json_body(body: bytes, options: str) -> tuple[Any, list[Violation]]:
    """A JSON body as a value, or why it is not UTF-8 JSON; `options` is what follows the media type."""
    charset = re.search(r"charset\s*=\s*\"?([^\";\s]+)", options, re.IGNORECASE)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        return None, [Violation("body", f"charset {charset.group(1)!r} is not accepted: send UTF-8 JSON")]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [Violation("body", f"the body is not valid UTF-8 (byte {error.start})")]
    try:
        value, refused = loads_json(text)
    except (ValueError, RecursionError) as error:
        return None, [Violation("body", f"the body is not valid JSON: {error}")]
    return value, [Violation(".".join(place) or "body", f"body: {reason}") for place, reason in refused]


def validate(operation: Operation, path_params: Mapping[str, str], request: Request, body: bytes) -> ValidRequest:
    """The request as typed values; `InvalidRequest` with every violation found (path, query, headers and body
    together)."""
    parameters, violations = _parameters(operation, path_params, request.query, request.headers)
    value, body_violations = _body(operation, request, body)
    violations.extend(body_violations)
    if violations:
        raise InvalidRequest(capped(violations))
    return ValidRequest(parameters, value)


def capped(violations: list[Violation]) -> list[Violation]:
    """At most MAX_VIOLATIONS, and a last one saying how many more there were."""
    if len(violations) <= MAX_VIOLATIONS:
        return violations
    extra = len(violations) - MAX_VIOLATIONS
    return [*violations[:MAX_VIOLATIONS], Violation(None, f"... and {extra} more violations")]
