"""The step that turns a valid request into a response: an interface, and the static (spec examples) one.

A stateful engine implements `Responder` too; it can hand forced choices (`controls.forces_response`)
back to `StaticResponder`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from mock_server.dynamic import DataGenerator
from mock_server.echo import echo_into
from mock_server.errors import GenerationError, InvalidRequest, Violation
from mock_server.negotiation import Choice, Controls, applied_header, choose
from mock_server.spec import Api, Operation, Response
from mock_server.wire import Reply, dumps


@dataclass(slots=True)
class Call:
    api: Api
    operation: Operation
    path_params: dict[str, str]
    parameters: dict[str, Any]  # validated and typed, by spec name
    body: Any
    controls: Controls
    request_key: str  # method, path and query as sent: what makes generated data deterministic
    session: str | None = None  # the X-Mock-Session header: whose state a stateful responder uses


class Responder(Protocol):
    async def respond(self, call: Call) -> Reply: ...


@dataclass(slots=True)
class Forwarded:
    """A request as it came (for a proxy to pass on), with what the mock found wrong in it."""

    api: Api
    operation: Operation | None  # None: the spec has no operation for this method and path
    method: str
    target: str  # the path and query as sent, still percent-encoded
    headers: list[tuple[bytes, bytes]]  # as sent
    body: bytes
    path_params: dict[str, str]
    violations: list[Violation]
    refusal: Reply | None  # what the mock itself answers such a request with, when it refuses it


class Forwarder(Protocol):
    """The response chosen elsewhere: a proxy answers every request, valid or not, from its upstream."""

    async def forward(self, request: Forwarded) -> Reply: ...


def body_reply(response: Response, body: bytes, applied: tuple[bytes, bytes], example: str | None = None) -> Reply:
    """A documented response with its body; `applied` is its `Preference-Applied` header (what was served)."""
    headers = [*response.headers, applied]
    if response.media_type is not None:
        headers.append((b"content-type", response.media_type.encode()))
    return Reply(response.status, body if response.media_type is not None else b"", headers, example)


class StaticResponder:
    """Documented examples, or data generated from the schema, as the client's controls ask."""

    def __init__(self, generator: DataGenerator) -> None:
        self.generator = generator

    async def respond(self, call: Call) -> Reply:
        return self.render(call, choose(call.operation, call.controls))

    def render(self, call: Call, choice: Choice) -> Reply:
        if choice.example is not None:
            example = choice.example
            return body_reply(
                choice.response,
                example.template.render(call.path_params),
                applied_header(choice.response.status, example.name),
                example.name,
            )
        try:
            value = self.generator.generate(choice.response, call.request_key)
        except GenerationError as error:
            raise InvalidRequest([Violation("Prefer", f"{error}; ask for a documented example instead")]) from error
        if 200 <= choice.response.status < 300:
            value = echo_into(value, call.operation.echo, call.path_params)
        return body_reply(choice.response, dumps(value), applied_header(choice.response.status, None))
