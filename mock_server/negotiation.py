"""Which response the client asked for: Prism-compatible `Prefer` preferences and `__` query fallbacks."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from mock_server.errors import InvalidRequest, Violation
from mock_server.numbers import integer_or_none, quoted
from mock_server.spec import Example, Operation, Response

MAX_DELAY_MS = 30_000
CONTROL_NAMES = ("code", "example", "dynamic", "delay")
QUERY_PREFIX = "__"
APPLIED_HEADER = b"preference-applied"
IGNORED_HEADER = b"jobs-mock-ignored-prefer"
MAX_IGNORED = 8  # reported per response; a longer list is cut there
MAX_TOKEN_LENGTH = 64
MAX_LOGGED = 256  # distinct ignored preferences logged per process; later ones go unlogged

logger = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class Preferences:
    """What a request's `Prefer` headers ask of the mock, and the preferences it does not know."""

    known: dict[str, str]
    ignored: tuple[str, ...] = ()

    def ignored_header(self) -> tuple[bytes, bytes] | None:
        """`Jobs-Mock-Ignored-Prefer: exmaple, return`: what the mock did not act on (Prefer is advisory)."""
        if not self.ignored:
            return None
        return IGNORED_HEADER, ", ".join(self.ignored).encode("latin-1")


NO_PREFERENCES = Preferences({})
_logged: set[str] = set()


def read_preferences(prefer: Sequence[str]) -> Preferences:
    """`Prefer: code=404, example=foo` (also `;`-separated, several headers); a preference the mock does not
    know is kept aside, to be reported and logged once."""
    if not prefer:
        return NO_PREFERENCES
    found: dict[str, str] = {}
    ignored: list[str] = []
    for header in prefer:
        for item in header.replace(";", ",").split(","):
            name, _, value = item.strip().partition("=")
            name = name.strip().lower()
            if name in CONTROL_NAMES:
                found[name] = value.strip().strip('"')
            elif name and name not in ignored and len(ignored) < MAX_IGNORED:
                ignored.append(name[:MAX_TOKEN_LENGTH])
    for name in ignored:
        _log_once(name)
    return Preferences(found, tuple(ignored))


def _log_once(name: str) -> None:
    if name in _logged or len(_logged) >= MAX_LOGGED:
        return
    _logged.add(name)
    logger.warning(
        "Prefer: %r is not a preference this mock knows (it knows %s); ignored", name, ", ".join(CONTROL_NAMES)
    )


def parse_controls(preferences: Preferences, query: Mapping[str, Sequence[str]]) -> Controls:
    """The client's controls; `InvalidRequest` naming every malformed one."""
    raw = dict(preferences.known)
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


@cache  # one per documented status and example name: built once, then shared
def applied_header(status: int, example: str | None) -> tuple[bytes, bytes]:
    """`Preference-Applied` (RFC 7240) for what is served: `code=404, example=jobNotFound`, or
    `code=200, dynamic=true` for generated data."""
    served = f"example={example}" if example is not None else "dynamic=true"
    return APPLIED_HEADER, f"code={status}, {served}".encode()


@cache
def status_applied_header(status: int) -> tuple[bytes, bytes]:
    """`Preference-Applied: code=201` for an answer the state engine chose (no example is served)."""
    return APPLIED_HEADER, f"code={status}".encode()
