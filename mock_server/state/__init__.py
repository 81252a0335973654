"""The state engine of stateful mode: jobs that exist, move through their lifecycle and survive a restart.

The mock's pipeline calls `StateEngine.handle(api, operation_id, StateRequest(...))` in its "choose the
response" step and renders the `StateResponse`, or the `StateError` it raises, in the API's own shape.
"""

from mock_server.wire import SESSION_HEADER

from .engine import StateEngine, session_name
from .errors import ErrorKind, StateError, StateFileError
from .rules import DEFAULT_SESSION, StateRequest, StateResponse

__all__ = [
    "DEFAULT_SESSION",
    "SESSION_HEADER",
    "ErrorKind",
    "StateEngine",
    "StateError",
    "StateFileError",
    "StateRequest",
    "StateResponse",
    "session_name",
]
