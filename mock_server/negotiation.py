"""Which response the client asked for: Prism-compatible `Prefer` preferences and `__` query fallbacks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mock_server.errors import InvalidRequest, Violation
from mock_server.numbers import integer_or_none, quoted
from mock_server.spec import Example, Operation, Response

MAX_DELAY_MS = 30_000
CONTROL_NAMES = ("code", "example", "dynamic", "delay")
QUERY_PREFIX = "__"


@dataclass(frozen=True)
class Controls:
    code: int | None = None
    example: str | None = None
    dynamic: bool = False
    delay_ms: int = 0

    @property
    def forces_response(self) -> bool:
        """True when the client chose the response itself (a state engine must then step aside)."""
        return self.code is not None or self.example is not None or self.dynamic


NO_CONTROLS = Controls()


@dataclass(slots=True)
class Choice:
    response: Response
    example: Example | None  # None: generate from the schema


def _preferences(prefer: Sequence[str]) -> dict[str, str]:
    """`Prefer: code=404, example=foo` (also `;`-separated, several headers); unknown preferences are ignored."""
    found: dict[str, str] = {}
    for header in prefer:
        for item in header.replace(";", ",").split(","):
            name, _, value = item.strip().partition("=")
            if name.strip().lower() in CONTROL_NAMES:
                found[name.strip().lower()] = value.strip().strip('"')
    return found


def parse_controls(prefer: Sequence[str], query: Mapping[str, Sequence[str]]) -> Controls:
    """The client's controls; `InvalidRequest` naming every malformed one."""
    raw = _preferences(prefer)
    for name in CONTROL_NAMES:
        values = query.get(QUERY_PREFIX + name)
        if values:
            raw[name] = values[-1]
    if not raw:
        return NO_CONTROLS
    violations: list[Violation] = []
    code = integer_or_none(raw.get("code"))
    if "code" in raw and not (code is not None and 100 <= code <= 599):
        violations.append(
            Violation("Prefer", f"code must be an HTTP status code such as code=404, not {quoted(raw['code'])}")
        )
    dynamic = raw.get("dynamic", "false").lower()
    if dynamic not in ("true", "false"):
        violations.append(Violation("Prefer", f"dynamic must be true or false, not {raw['dynamic']!r}"))
    delay = integer_or_none(raw.get("delay", "0"))
    if not (delay is not None and 0 <= delay <= MAX_DELAY_MS):
        violations.append(
            Violation(
                "Prefer",
                f"delay must be a whole number of milliseconds from 0 to {MAX_DELAY_MS}, not {quoted(raw['delay'])}",
            )
        )
    example = raw.get("example")
    if example == "":
        violations.append(Violation("Prefer", "example needs a name, such as example=NAME"))
    if violations:
        raise InvalidRequest(violations)
    return Controls(code=code, example=example, dynamic=dynamic == "true", delay_ms=delay or 0)


def _refused(message: str) -> InvalidRequest:
    return InvalidRequest([Violation("Prefer", message)])


def _example_names(operation: Operation) -> str:
    return "; ".join(
        f"{status}: {', '.join(response.examples) or '(none)'}" for status, response in operation.responses.items()
    )


def choose(operation: Operation, controls: Controls) -> Choice:
    """The documented response and example to send; asking for what is not documented (`InvalidRequest`)
    names what is."""
    if controls.code is not None:
        response = operation.responses.get(controls.code)
        if response is None:
            documented = operation.documented_statuses()
            raise _refused(f"{operation.operation_id} documents no response {controls.code}; documented: {documented}")
    else:
        response = operation.responses[operation.default_status]
        if controls.example is not None and controls.example not in response.examples:
            # An example name alone may pick its status: `example=jobNotFound` answers 404.
            response = next((r for r in operation.responses.values() if controls.example in r.examples), response)
    if controls.dynamic:
        return Choice(response, None)
    if controls.example is not None:
        example = response.examples.get(controls.example)
        if example is None:
            raise _refused(
                f"{operation.operation_id} has no example {controls.example!r} for {response.status}; "
                f"examples by status: {_example_names(operation)}"
            )
        return Choice(response, example)
    return Choice(response, next(iter(response.examples.values()), None))
