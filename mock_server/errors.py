"""Every error the mock raises, in one place.

    Exception
     ├── RequestError      a request the mock answers with an error: status, violations, kind, extra headers;
     │    │                 `error_formats.error_reply` writes it in the API's error shape (`x-error-format`)
     │    ├── InvalidRequest   400: the request breaks its operation's spec, or asks for what is not documented
     │    ├── BodyTooLarge     413: the body is longer than the mock accepts
     │    ├── BodyTimeout      408: the body stopped arriving (the connection is closed after the answer)
     │    └── StateError       the state engine refused the request (invalid, failed precondition, not found),
     │         │                or its store is unreachable now (unavailable, 503)
     │         └── FilterError (state/cel_filter.py)   a filter that is not CEL or is past the size limits
     ├── ClientGone        the client left before its body arrived: there is no one to answer
     ├── GenerationError   no data can be generated from a response schema
     └── StateFileError    a state file or database the mock cannot use (it stops at start)

A spec the mock cannot use is a `jobs_openapi.SpecError` (a `ValueError`) or a `ValueError` naming the spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Violation:
    """One thing wrong with a request: the field it concerns (None when it is the request as a whole)."""

    field: str | None
    message: str


class ErrorKind(Enum):
    """Why a request failed, when its HTTP status alone does not say (a 400 is invalid input or a refused action)."""

    INVALID_ARGUMENT = "invalid_argument"
    FAILED_PRECONDITION = "failed_precondition"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"  # the state store cannot be reached right now: retry later


class RequestError(Exception):
    def __init__(
        self,
        status: int,
        violations: Sequence[Violation],
        *,
        kind: ErrorKind | None = None,
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        super().__init__("; ".join(violation.message for violation in violations))
        self.status = status
        self.violations = list(violations)
        self.kind = kind
        self.headers = list(headers)


class InvalidRequest(RequestError):
    def __init__(self, violations: Sequence[Violation]) -> None:
        super().__init__(400, violations)


class BodyTooLarge(RequestError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, [Violation("body", f"the request body is larger than {limit} bytes")])


class BodyTimeout(RequestError):
    def __init__(self, seconds: float) -> None:
        message = f"the request body did not arrive within {seconds:g} seconds"
        super().__init__(408, [Violation("body", message)], headers=[(b"connection", b"close")])


_STATUS = {
    ErrorKind.INVALID_ARGUMENT: 400,
    ErrorKind.FAILED_PRECONDITION: 400,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.UNAVAILABLE: 503,
}


class StateError(RequestError):
    """An error of the state engine, in a form that knows no API's error shape: `field` is the request field it
    is about (None when it is about the request as a whole), `kind` the canonical error class, which an error
    shape that carries a code of its own (google.rpc.Status) maps to that code."""

    def __init__(self, kind: ErrorKind, message: str, field: str | None = None) -> None:
        super().__init__(_STATUS[kind], [Violation(field, message)], kind=kind)
        self.kind: ErrorKind = kind
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"StateError({self.kind.name}, {self.message!r}, field={self.field!r})"


class ClientGone(Exception):
    pass


class GenerationError(Exception):
    pass


class StateFileError(Exception):
    """A state store that cannot be used at start: a state file (not SQLite, another application's, corrupt,
    unreadable) or a state database (unreachable, another application's, another schema version)."""
