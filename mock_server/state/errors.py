"""Errors the state engine raises, in a form that knows no API's error shape.

The pipeline renders a `StateError` with its error-shape adapter: `status` is the HTTP status, `field` the
request field the error is about (None when it is about the request as a whole) and `kind` the canonical
error class, which an adapter that carries a code of its own (google.rpc.Status) maps to that code.
"""

from __future__ import annotations

from mock_server.errors import ErrorKind

_STATUS = {ErrorKind.INVALID_ARGUMENT: 400, ErrorKind.FAILED_PRECONDITION: 400, ErrorKind.NOT_FOUND: 404}


class StateError(Exception):
    def __init__(self, kind: ErrorKind, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.field = field

    @property
    def status(self) -> int:
        return _STATUS[self.kind]

    def __repr__(self) -> str:
        return f"StateError({self.kind.name}, {self.message!r}, field={self.field!r})"


def invalid(message: str, field: str | None) -> StateError:
    return StateError(ErrorKind.INVALID_ARGUMENT, message, field)


class StateFileError(Exception):
    """A state file that cannot be used (not SQLite, another application's, corrupt, unreadable)."""
