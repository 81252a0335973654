"""What the reference implementation reads from a spec: its operations, and validators for their inputs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
from jobs_openapi import HTTP_METHODS, read_document

from contracts.spec_facts import SpecFacts

# JSON Schema knows no integer widths; OpenAPI's formats do (gRPC-gateway rejects an out-of-range int32).
INTEGER_FORMATS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


@dataclass(frozen=True)
class Violation:
    field: str
    message: str


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    schema: dict[str, Any]


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str
    parameters: list[Parameter]
    body_schema: dict[str, Any] | None
    body_required: bool
    components: dict[str, Any] = field(repr=False)

    validators: dict[int, Any] = field(default_factory=dict, repr=False)

    def validate(self, value: Any, schema: dict[str, Any], where: str) -> list[Violation]:
        """Every violation of `schema` by `value`, each naming the field (`where` + the JSON path)."""
        validator = self.validators.get(id(schema))
        if validator is None:
            # OpenAPI 3.0 schemas are JSON Schema draft 4 plus keywords a validator ignores (`discriminator` is
            # a hint). openapi-schema-validator 0.9.0 crashes on a discriminating property that holds a list.
            validator = jsonschema_rs.Draft4Validator({**schema, "components": self.components}, validate_formats=True)
            self.validators[id(schema)] = validator
        violations = [_violation(error, where) for error in validator.iter_errors(value)]
        bounds = INTEGER_FORMATS.get(schema.get("format", ""))
        if bounds and isinstance(value, int) and not bounds[0] <= value <= bounds[1]:
            violations.append(Violation(where, f"{value} is out of range for {schema['format']}"))
        return violations


def _violation(error: jsonschema_rs.ValidationError, where: str) -> Violation:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.instance_path)
    return Violation(field=f"{where}{path}".lstrip("."), message=error.message)


@dataclass(frozen=True)
class Spec(SpecFacts):
    """A spec as the reference implementation serves it (reading it is shared with `jobs-contract`)."""

    @classmethod
    def load(cls, path: Path) -> Spec:
        return cls(read_document(path), source=path)

    @property
    def base_path(self) -> str:
        return urlsplit(self.document["servers"][0]["url"]).path.rstrip("/")

    @property
    def error_format(self) -> str:
        return self.document["x-error-format"]

    @cached_property
    def operations(self) -> list[Operation]:
        return [
            self._operation(path, method, operation, item.get("parameters", []))
            for path, method, item, operation in self.spec_operations()
        ]

    def _operation(self, path: str, method: str, raw: dict[str, Any], shared: list[dict[str, Any]]) -> Operation:
        parameters = [self.resolve(p) for p in [*shared, *raw.get("parameters", [])]]
        body = self.resolve(raw["requestBody"]) if "requestBody" in raw else None
        body_schema = body["content"]["application/json"]["schema"] if body else None
        return Operation(
            operation_id=raw["operationId"],
            method=method.upper(),
            path=path,
            parameters=[
                Parameter(p["name"], p["in"], p.get("required", False), p.get("schema", {})) for p in parameters
            ],
            body_schema=body_schema,
            body_required=bool(body and body.get("required", False)),
            components=self.document.get("components", {}),
        )

    def allowed_methods(self, request_path: str) -> list[str]:
        """The methods the spec declares for the path a request names; literal paths win over templates."""
        relative = request_path.removeprefix(self.base_path)
        for template in sorted(self.document["paths"], key=lambda path: path.count("{")):
            if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), relative):
                return [m.upper() for m in HTTP_METHODS if m in self.document["paths"][template]]
        return []

    def documented_items(self, operation_id: str, key: str) -> list[dict[str, Any]]:
        """The items listed under `key` in the 200 examples of an operation (the documented resources)."""
        operation = next(o for o in self.raw_operations() if o["operationId"] == operation_id)
        examples = operation["responses"]["200"]["content"]["application/json"].get("examples", {})
        return [item for example in examples.values() for item in self.resolve(example)["value"].get(key, [])]

    def schema_properties(self, name: str) -> set[str]:
        """The property names a component schema declares, through `allOf`."""
        schema = self.resolve(self.document["components"]["schemas"][name])
        parts = [self.resolve(part) for part in schema.get("allOf", [schema])]
        return {prop for part in parts for prop in part.get("properties", {})}


def coerce(raw: str, schema: dict[str, Any]) -> Any:
    """A query, path or header string as the type its schema declares; unconvertible strings stay strings."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return raw
