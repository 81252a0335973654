"""Error bodies in each API's own documented shape, chosen by the spec's top-level `x-error-format`."""

from __future__ import annotations

from typing import Protocol

from mock_server.errors import ErrorKind, RequestError, Violation
from mock_server.extensions import chosen
from mock_server.wire import JSON_HEADER, Reply, dumps


class ErrorFormat(Protocol):
    def body(self, status: int, violations: list[Violation], kind: ErrorKind | None = None) -> bytes: ...


class FlatfileErrors:
    """`{"errors": [{"key": "<field>", "message": "..."}]}`: one entry per violation."""

    def body(self, status: int, violations: list[Violation], kind: ErrorKind | None = None) -> bytes:
        errors = [
            {"key": violation.field, "message": violation.message}
            if violation.field
            else {"message": violation.message}
            for violation in violations
        ]
        return dumps({"errors": errors})


# gRPC codes as gRPC-gateway maps them from HTTP statuses (google.golang.org/grpc/codes).
_GRPC_CODES = {
    400: 3,
    401: 16,
    403: 7,
    404: 5,
    405: 12,
    408: 4,  # no mapping of its own: DEADLINE_EXCEEDED, as for 504
    409: 6,
    413: 8,
    415: 3,
    429: 8,
    500: 13,
    501: 12,
    503: 14,
    504: 4,
}
_UNKNOWN = 2
_KIND_CODES = {
    ErrorKind.INVALID_ARGUMENT: 3,
    ErrorKind.FAILED_PRECONDITION: 9,
    ErrorKind.NOT_FOUND: 5,
    ErrorKind.UNAVAILABLE: 14,
}


class GoogleRpcStatusErrors:
    """`google.rpc.Status`: the messages as `message`, every field violation in a `BadRequest` detail; the code is
    the error kind's when one is given, else the one gRPC-gateway maps from the HTTP status."""

    def body(self, status: int, violations: list[Violation], kind: ErrorKind | None = None) -> bytes:
        message = "; ".join(violation.message for violation in violations)
        field_violations = [
            {"field": violation.field, "description": violation.message} for violation in violations if violation.field
        ]
        details = (
            [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": field_violations}]
            if field_violations
            else []
        )
        return dumps(
            {
                "code": _KIND_CODES[kind] if kind else _GRPC_CODES.get(status, _UNKNOWN),
                "message": message,
                "details": details,
            }
        )


ERROR_FORMATS: dict[str, ErrorFormat] = {
    "flatfile": FlatfileErrors(),
    "google-rpc-status": GoogleRpcStatusErrors(),
}


def error_format(name: str) -> ErrorFormat:
    return chosen("x-error-format", name, ERROR_FORMATS)


def error_reply(errors: ErrorFormat, error: RequestError) -> Reply:
    """The one place an error becomes a reply: in the API's error shape, with the error's own headers."""
    return Reply(error.status, errors.body(error.status, error.violations, error.kind), [JSON_HEADER, *error.headers])
