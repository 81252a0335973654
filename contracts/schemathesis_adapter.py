"""Every part of Schemathesis the runner uses beyond its public API (`schemathesis.__all__`), in one module.

Schemathesis is pinned exactly (pyproject.toml) because these names are internal: an upgrade that moves one
breaks this module and `tests/test_contract_adapter.py`, and nothing else in `contracts/`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.cli.commands.run.context import ExecutionContext
from schemathesis.cli.commands.run.handlers.junitxml import JunitXMLHandler
from schemathesis.config import ConfigError
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES
from schemathesis.core.failures import Failure
from schemathesis.engine import Status, StopReason, events, from_schema
from schemathesis.engine.run import ELASTIC_PHASES, INTERNAL_PHASES, PhaseName
from schemathesis.engine.statistic import Statistic

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

__all__ = [
    "ELASTIC_PHASES",
    "INTERNAL_PHASES",
    "POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES",
    "ConfigError",
    "ExecutionContext",
    "Failure",
    "JunitXMLHandler",
    "PhaseName",
    "Statistic",
    "Status",
    "StopReason",
    "events",
    "from_schema",
    "known_check_names",
    "send_follow_up",
]


def known_check_names() -> set[str]:
    """Every check Schemathesis knows, ours included once `contracts.checks` is imported."""
    load_all_checks()
    return set(CHECKS.get_all_names())


def send_follow_up(ctx: CheckContext, parent: Case, follow_up: Case) -> Response:
    """Send a request a check needs (a read-back after a delete), recorded as a child of `parent` so that
    reports and reproducers show it like any other request of the run."""
    internals: Any = ctx.internals
    internals.record_case(parent_id=parent.id, case=follow_up)
    response: Response = follow_up.operation.schema.transport.send(follow_up, **(internals.transport_kwargs or {}))
    internals.record_response(case_id=follow_up.id, response=response)
    return response
