"""The errors of the state engine (their home is `mock_server.errors`) and the shorthand its rules raise them by."""

from __future__ import annotations

from mock_server.errors import ErrorKind, StateError, StateFileError

__all__ = ["ErrorKind", "StateError", "StateFileError", "invalid"]


def invalid(message: str, field: str | None) -> StateError:
    return StateError(ErrorKind.INVALID_ARGUMENT, message, field)
