"""The mock's `Responder` in stateful mode: the state engine answers, unless the client forced a response.

A forced choice (`Prefer: code=…`, `example=…`, `dynamic=true`) and every operation the engine has no rules
for go to the static responder; the engine's errors (`StateError`) go on to the pipeline like any other.
"""

from __future__ import annotations

from mock_server.errors import StateError
from mock_server.negotiation import status_applied_header
from mock_server.responder import Call, Responder, body_reply
from mock_server.wire import Reply, dumps

from .engine import StateEngine
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
            answer = await self.engine.run(self.engine.handle, api, operation_id, request)
        except StateError as error:  # the engine's own 4xx answer: it says what it served, as a 2xx does
            error.headers = [*error.headers, status_applied_header(error.status)]
            raise
        response = call.operation.responses[answer.status]
        return body_reply(response, dumps(answer.body), status_applied_header(answer.status))
