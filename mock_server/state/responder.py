"""The mock's `Responder` in stateful mode: the state engine answers, unless the client forced a response.

A forced choice (`Prefer: code=…`, `example=…`, `dynamic=true`) and every operation the engine has no rules
for go to the static responder; the engine's errors are rendered in the API's own error shape, with their kind.
"""

from __future__ import annotations

import asyncio

from mock_server.errors import Violation
from mock_server.responder import Call, Responder, body_reply, error_reply
from mock_server.wire import Reply, dumps

from .engine import StateEngine
from .errors import StateError
from .rules import DEFAULT_SESSION, StateRequest


class StatefulResponder:
    def __init__(self, engine: StateEngine, static: Responder) -> None:
        self.engine = engine
        self.static = static

    async def respond(self, call: Call) -> Reply:
        api, operation_id = call.api.name, call.operation.operation_id
        if call.controls.forces_response or not self.engine.handles(api, operation_id):
            return await self.static.respond(call)
        request = StateRequest(
            session=call.session or DEFAULT_SESSION, path=call.path_params, query=call.parameters, body=call.body
        )
        try:
            # SQLite work (a commit may wait for the disk) runs off the event loop; the engine is thread-safe.
            answer = await asyncio.to_thread(self.engine.handle, api, operation_id, request)
        except StateError as error:
            return error_reply(call.api.errors, error.status, [Violation(error.field, error.message)], kind=error.kind)
        return body_reply(call.operation.responses[answer.status], dumps(answer.body))
