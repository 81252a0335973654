"""A list filter written in CEL (Common Expression Language), compiled and evaluated by cel-python."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import celpy
from celpy import celtypes

from .errors import invalid

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CelKind(Enum):
    STRING = "string"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class CelField:
    """A CEL variable taken from a job field; an unset field reads as its proto3 default ("" or the epoch)."""

    source: str
    kind: CelKind

    def native(self, job: Mapping[str, Any]) -> str | datetime:
        value = job.get(self.source)
        if self.kind is CelKind.TIMESTAMP:
            return datetime.fromisoformat(value) if isinstance(value, str) else EPOCH
        return value if isinstance(value, str) else ""

    def cel(self, job: Mapping[str, Any]) -> celtypes.Value:
        value = self.native(job)
        if isinstance(value, datetime):
            return celtypes.TimestampType(value)
        return celtypes.StringType(value)


_ENVIRONMENT = celpy.Environment()
# cel-python appends its whole activation to evaluation errors; the message before it is the useful part.
_ACTIVATION_NOISE = re.compile(r"\s*\(in activation .*", re.DOTALL)
_CEL_TYPE = re.compile(r"<class 'celpy\.celtypes\.(\w+?)(?:Type)?'>")
_RULE = re.compile(r"Token\('RULE', '(\w+)'\)")


class CelFilter:
    def __init__(self, source: str, fields: Mapping[str, CelField], parameter: str = "filter") -> None:
        self.fields = fields
        self.parameter = parameter
        try:
            self._program = _ENVIRONMENT.program(_ENVIRONMENT.compile(source))
        except celpy.CELParseError as error:
            raise invalid(
                f"invalid {parameter}: syntax error at line {error.line}, column {error.column}: {source}", parameter
            ) from None

    def matches(self, job: Mapping[str, Any]) -> bool:
        activation = {name: field.cel(job) for name, field in self.fields.items()}
        try:
            result = self._program.evaluate(activation)
        except celpy.CELEvalError as error:
            reason = str(error.args[0] if error.args else error)
            reason = _RULE.sub(r"\1", _CEL_TYPE.sub(r"\1", _ACTIVATION_NOISE.sub("", reason)))
            known = ", ".join(self.fields)
            raise invalid(f"invalid {self.parameter}: {reason} (fields: {known})", self.parameter) from None
        if not isinstance(result, celtypes.BoolType):
            raise invalid(
                f"invalid {self.parameter}: the expression must evaluate to a bool, not {type(result).__name__}",
                self.parameter,
            )
        return bool(result)
