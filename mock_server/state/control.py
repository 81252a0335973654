"""ASGI middleware of stateful mode: the journal and the control endpoints.

- Every request belongs to the session named by its `X-Mock-Session` header (the default session otherwise);
  the request (method, path, status, time; its query, `Prefer` header, the example served and its body's size,
  never a credential) is appended to that session's journal.
- Control endpoints, outside the APIs' paths:
  `POST /__mock/reset` (the session of `?session=` or the header; every session when neither is given),
  `GET /__mock/journal` (the session of `?session=` or the header), `GET /__mock/sessions`,
  `POST /__mock/advance?seconds=N` (let N seconds pass now, as auto-advance would).
Errors are in the error shape given (the mock passes that of the API an unknown path would get).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.control_access import CONTROL_PREFIX, is_control_path
from mock_server.error_formats import ErrorFormat, error_reply
from mock_server.errors import RequestError, Violation
from mock_server.negotiation import APPLIED_HEADER
from mock_server.wire import JSON_HEADER, UNEXPECTED_FAILURE, Reply, Request, dumps, not_allowed, send_reply

from .engine import StateEngine, session_name
from .errors import StateError, invalid
from .store import JournalDetails

logger = logging.getLogger(__name__)


def _seconds(query: Mapping[str, str]) -> float:
    try:
        seconds = float(query.get("seconds", ""))
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400:
        raise invalid("seconds must be a number from 0 to 86400", "seconds")
    return seconds


class StateControl:
    def __init__(self, app: ASGIApp, *, engine: StateEngine, errors: ErrorFormat) -> None:
        self.app = app
        self.engine = engine
        self.errors = errors
        self._endpoints: dict[tuple[str, str], Callable[[str | None, Mapping[str, str]], Any]] = {
            ("POST", "/reset"): self._reset,
            ("GET", "/journal"): self._journal,
            ("GET", "/sessions"): lambda _session, _query: {"sessions": self.engine.sessions()},
            ("POST", "/advance"): lambda _session, query: {"changed": self.engine.advance(_seconds(query))},
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request.of(scope)
        path = request.path
        if is_control_path(path):
            await self._control(request, send)
            return
        status = 500
        example: str | None = None
        body_bytes = 0

        async def counting_receive() -> Message:
            nonlocal body_bytes
            message = await receive()
            body_bytes += len(message.get("body", b""))
            return message

        async def recording_send(message: Message) -> None:
            nonlocal status, example
            if message["type"] == "http.response.start":
                status = message["status"]
                example = _example_served(message["headers"])
            await send(message)

        await self.app(scope, counting_receive, recording_send)
        self._record(request, status, example, body_bytes)

    def _record(self, request: Request, status: int, example: str | None, body_bytes: int) -> None:
        query = request.query_string
        path = request.path + (f"?{query}" if query else "")
        prefer = request.header("prefer")
        details = JournalDetails(query, ", ".join(prefer) if prefer else None, example, body_bytes)
        with suppress(StateError):  # a session name the engine refused: the request was answered 400 already
            self.engine.record(request.session, request.method, path, status, details)

    async def _control(self, request: Request, send: Send) -> None:
        name = request.path[len(CONTROL_PREFIX) :]
        methods = sorted(method for method, path in self._endpoints if path == name)
        endpoint = self._endpoints.get((request.method, name))
        if endpoint is None:
            if methods:
                allow = ", ".join(methods)
                message = not_allowed(request.method, request.path, allow)
                await self._error(
                    send, RequestError(405, [Violation(None, message)], headers=[(b"allow", allow.encode())])
                )
            else:
                known = ", ".join(sorted({CONTROL_PREFIX + path for _, path in self._endpoints}))
                message = f"no control endpoint at {request.path}; there are {known}"
                await self._error(send, RequestError(404, [Violation(None, message)]))
            return
        query = {name: values[-1] for name, values in request.query.items()}
        try:
            body = await self.engine.run(endpoint, query.get("session") or request.session, query)
        except StateError as error:
            await self._error(send, error)
            return
        except Exception:
            logger.exception("jobs-mock failed to answer %s %s", request.method, request.path)
            await self._error(send, RequestError(500, [Violation(None, UNEXPECTED_FAILURE)]))
            return
        await send_reply(send, Reply(200, dumps(body), [JSON_HEADER]))

    def _reset(self, session: str | None, _query: Mapping[str, str]) -> dict[str, Any]:
        self.engine.reset(session)
        return {"reset": "all sessions" if session is None else session_name(session)}

    def _journal(self, session: str | None, _query: Mapping[str, str]) -> dict[str, Any]:
        return {"session": session_name(session), "entries": self.engine.journal(session)}

    async def _error(self, send: Send, error: RequestError) -> None:
        await send_reply(send, error_reply(self.errors, error))


def _example_served(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The example a reply's `Preference-Applied` names (`code=404, example=jobNotFound`), if any."""
    for name, value in headers:
        if name == APPLIED_HEADER:
            for item in value.decode("latin-1").split(","):
                key, _, served = item.strip().partition("=")
                if key == "example":
                    return served
    return None
