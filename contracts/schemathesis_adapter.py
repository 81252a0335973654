"""Every part of Schemathesis the runner uses beyond its public API (`schemathesis.__all__`), in one module.

Schemathesis is pinned exactly (pyproject.toml) because these names are internal: an upgrade that moves one
breaks this module and `tests/contracts/test_adapter.py`, and nothing else in `contracts/`.
"""

from __future__ import annotations

import ast
import functools
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import requests
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.cli.commands.run.context import ExecutionContext
from schemathesis.cli.commands.run.handlers.junitxml import JunitXMLHandler
from schemathesis.config import ConfigError
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES
from schemathesis.core.failures import Failure, Severity
from schemathesis.core.result import Ok
from schemathesis.core.transforms import UNRESOLVABLE, Unresolvable, resolve_pointer
from schemathesis.engine import Status, StopReason, events
from schemathesis.engine.core import Engine, ExecutionPlan
from schemathesis.engine.run import ELASTIC_PHASES, INTERNAL_PHASES, PhaseName, probes
from schemathesis.engine.statistic import Statistic
from schemathesis.generation.stateful.state_machine import StepOutput
from schemathesis.specs.openapi.expressions import evaluate
from schemathesis.specs.openapi.expressions.errors import RuntimeExpressionError

if TYPE_CHECKING:
    from pyrate_limiter import Limiter
    from schemathesis import APIOperation, BaseSchema, Case, CheckContext, Response

__all__ = [
    "ELASTIC_PHASES",
    "INTERNAL_PHASES",
    "POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES",
    "Capabilities",
    "ConfigError",
    "ExecutionContext",
    "Failure",
    "JunitXMLHandler",
    "PhaseName",
    "Severity",
    "Statistic",
    "Status",
    "StopReason",
    "adapt_to",
    "events",
    "json_pointer",
    "known_check_names",
    "link_value",
    "network_failure",
    "operations_of",
    "probe_capabilities",
    "send_follow_up",
    "serialize_ast_parsing",
    "start_engine",
    "use_rate_limiter",
]


def known_check_names() -> set[str]:
    """Every check Schemathesis knows, ours included once `contracts.checks` is imported."""
    load_all_checks()
    return set(CHECKS.get_all_names())


def send_follow_up(ctx: CheckContext, parent: Case[Any], follow_up: Case[Any]) -> Response:
    """Send a request a check needs (a read-back after a delete), recorded as a child of `parent` so that
    reports and reproducers show it like any other request of the run."""
    internals: Any = ctx.internals
    internals.record_case(parent_id=parent.id, case=follow_up)
    response: Response = follow_up.operation.schema.transport.send(follow_up, **(internals.transport_kwargs or {}))
    internals.record_response(case_id=follow_up.id, response=response)
    return response


def json_pointer(document: Any, pointer: str) -> tuple[bool, Any]:
    """(found, value) of an RFC 6901 pointer in a JSON document, `~0`/`~1` unescaped as Schemathesis does."""
    value = resolve_pointer(document, pointer)
    return (False, None) if value is UNRESOLVABLE else (True, value)


def link_value(expression: str, case: Case[Any], response: Response) -> tuple[bool, Any]:
    """(found, value) of an OpenAPI runtime expression (`$response.body#/data/id`) after `case` got `response`."""
    try:
        value = evaluate(expression, StepOutput(response, case))
    except RuntimeExpressionError:
        return False, None
    return (False, None) if isinstance(value, Unresolvable) else (True, value)


@dataclass(frozen=True)
class Capabilities:
    """What the server's front end lets through, as Schemathesis' probes measure it."""

    null_byte_in_headers: bool = False
    unsafe_characters_in_paths: bool = False


def probe_capabilities(schema: BaseSchema, *, before_each: Callable[[], None]) -> Capabilities:
    """Schemathesis' capability probes, sent once per run (its engine would send them at every pass, past the
    rate limit); `before_each` runs before each probe is sent (the run's rate limit)."""
    context = SimpleNamespace(config=schema.config, schema=schema)
    outcomes = {}
    for probe in probes.PROBES:
        before_each()
        outcomes[probe] = probes.send(probe(), context)  # type: ignore[arg-type]
    return Capabilities(
        null_byte_in_headers=not outcomes[probes.NullByteInHeader].is_failure,
        unsafe_characters_in_paths=not outcomes[probes.UnsafePathDecoder].is_failure,
    )


def adapt_to(schema: BaseSchema, capabilities: Capabilities) -> None:
    """Generate only what the server's front end lets through (without probes: the cautious assumption)."""
    if not capabilities.null_byte_in_headers:
        schema.adapt_to_null_byte_in_header_failure()
    if not capabilities.unsafe_characters_in_paths:
        schema.adapt_to_path_decoder_rejection()


class _EngineWithoutProbes(Engine):
    """The engine with its probing phase off: the run probes once, itself (`probe_capabilities`)."""

    def _create_execution_plan(self) -> ExecutionPlan:
        plan = super()._create_execution_plan()
        for phase in plan.phases:
            if phase.name is PhaseName.PROBING:
                phase.is_enabled = False
        return plan


def start_engine(schema: BaseSchema) -> Any:
    """The event stream of one engine pass over `schema` (iterate it; `.stop()` ends it)."""
    return _EngineWithoutProbes(schema=schema).execute()


def use_rate_limiter(schema: BaseSchema, limiter: Limiter) -> None:
    """Every request of every pass waits on the one limiter of the run (a limiter per pass would let each pass
    start with a full allowance)."""
    schema.config.rate_limit = limiter


def operations_of(schema: BaseSchema) -> list[APIOperation[Any, Any, Any, Any]]:
    """The operations the schema's filters select; one the spec defines wrongly is Schemathesis' to report."""
    return [found.ok() for found in schema.get_all_operations() if isinstance(found, Ok)]


def network_failure(error: Exception) -> str | None:
    """ "timeout" or "connection" for a request that got no answer, else `None`."""
    if isinstance(error, requests.Timeout):
        return "timeout"
    if isinstance(error, requests.ConnectionError):
        return "connection"
    return None


def serialize_ast_parsing() -> None:
    """Make `ast.parse` one thread at a time, on the CPython versions where two at once can fail.

    Hypothesis parses source with `ast.parse` while it builds strategies (to read bounds out of filter
    predicates), in every worker thread. Before CPython 3.11.8 the AST converter kept its recursion counter in
    global state, so two threads parsing at once could fail with "AST constructor recursion depth mismatch"
    (python/cpython#106905, fixed in 3.11.8 by python/cpython#113476): a run in a process that had already run
    once met it about every time. Called by every run; installs the lock once per process.
    """
    if sys.version_info >= (3, 11, 8) or getattr(ast.parse, "serialized", False):
        return
    original, lock = ast.parse, threading.Lock()

    @functools.wraps(original)
    def parse(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(*args, **kwargs)

    parse.serialized = True  # type: ignore[attr-defined]
    ast.parse = parse
