"""ASGI middleware of stateful mode: the journal and the control endpoints.

- Every request belongs to the session named by its `X-Mock-Session` header (the default session otherwise);
  the request (method, path, status, time) is appended to that session's journal.
- Control endpoints, outside the APIs' paths:
  `POST /__mock/reset` (the session of `?session=` or the header; every session when neither is given),
  `GET /__mock/journal` (the session of `?session=` or the header), `GET /__mock/sessions`,
  `POST /__mock/advance?seconds=N` (let N seconds pass now, as auto-advance would).
Errors are in the error shape given (the mock passes that of the API an unknown path would get).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.errors import ErrorFormat, ErrorKind, Violation
from mock_server.pipeline import UNEXPECTED_FAILURE, send_reply
from mock_server.render import dumps
from mock_server.responder import JSON_HEADER, Reply, error_reply

from .engine import SESSION_HEADER, StateEngine, session_name
from .errors import StateError, invalid

CONTROL_PREFIX = "/__mock"
_SESSION_HEADER = SESSION_HEADER.lower().encode("latin-1")
logger = logging.getLogger(__name__)


def _session_header(scope: Scope) -> str | None:
    values = [value.decode("latin-1") for name, value in scope["headers"] if name == _SESSION_HEADER]
    return values[-1] if values else None


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
        header = _session_header(scope)
        if scope["path"] == CONTROL_PREFIX or scope["path"].startswith(CONTROL_PREFIX + "/"):
            await self._control(scope, header, send)
            return
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, recording_send)
        await self._record(header, scope, status)

    async def _record(self, header: str | None, scope: Scope, status: int) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        path = scope["path"] + (f"?{query}" if query else "")
        with suppress(StateError):  # a session name the engine refused: the request was answered 400 already
            await asyncio.to_thread(self.engine.record, header, scope["method"], path, status)

    async def _control(self, scope: Scope, header: str | None, send: Send) -> None:
        name = scope["path"][len(CONTROL_PREFIX) :]
        methods = sorted(method for method, path in self._endpoints if path == name)
        endpoint = self._endpoints.get((scope["method"], name))
        if endpoint is None:
            if methods:
                allow = ", ".join(methods)
                await self._error(
                    send,
                    405,
                    Violation(None, f"{scope['method']} is not allowed on {scope['path']}; allowed: {allow}"),
                    [(b"allow", allow.encode())],
                )
            else:
                known = ", ".join(sorted({CONTROL_PREFIX + path for _, path in self._endpoints}))
                await self._error(
                    send, 404, Violation(None, f"no control endpoint at {scope['path']}; there are {known}")
                )
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        try:
            body = await asyncio.to_thread(endpoint, query.get("session") or header, query)
        except StateError as error:
            await self._error(send, error.status, Violation(error.field, error.message), kind=error.kind)
            return
        except Exception:
            logger.exception("jobs-mock failed to answer %s %s", scope["method"], scope["path"])
            await self._error(send, 500, Violation(None, UNEXPECTED_FAILURE))
            return
        await send_reply(send, Reply(200, dumps(body), [JSON_HEADER]))

    def _reset(self, session: str | None, _query: Mapping[str, str]) -> dict[str, Any]:
        self.engine.reset(session)
        return {"reset": "all sessions" if session is None else session_name(session)}

    def _journal(self, session: str | None, _query: Mapping[str, str]) -> dict[str, Any]:
        return {"session": session_name(session), "entries": self.engine.journal(session)}

    async def _error(
        self,
        send: Send,
        status: int,
        violation: Violation,
        headers: list[tuple[bytes, bytes]] | None = None,
        kind: ErrorKind | None = None,
    ) -> None:
        await send_reply(send, error_reply(self.errors, status, [violation], headers, kind))
