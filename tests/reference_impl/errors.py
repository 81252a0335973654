"""Error bodies in each API's documented shape, chosen by the spec's `x-error-format`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Response, jsonify

from .spec import Violation

# gRPC status codes gRPC-gateway maps to the HTTP statuses the Sift spec documents.
GRPC_CODES = {400: 3, 401: 16, 404: 5, 405: 12, 409: 9}


def flatfile_body(status: int, message: str, violations: Sequence[Violation]) -> dict[str, Any]:
    errors = [{"key": v.field, "message": v.message} for v in violations] or [{"message": message}]
    return {"errors": errors}


def google_rpc_body(status: int, message: str, violations: Sequence[Violation]) -> dict[str, Any]:
    details = []
    if violations:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": v.field, "description": v.message} for v in violations],
            }
        )
    return {"code": GRPC_CODES.get(status, 2), "message": message, "details": details}


BODY_BUILDERS: dict[str, Callable[[int, str, Sequence[Violation]], dict[str, Any]]] = {
    "flatfile": flatfile_body,
    "google-rpc-status": google_rpc_body,
}


class ApiError(Exception):
    """Raised by handlers; rendered in the API's error shape."""

    def __init__(self, status: int, message: str, violations: Sequence[Violation] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.violations = list(violations)


def render(error: ApiError, error_format: str, *, wrong_shape: bool = False) -> Response:
    body = (
        {"error": error.message}
        if wrong_shape
        else BODY_BUILDERS[error_format](error.status, error.message, error.violations)
    )
    response = jsonify(body)
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response
