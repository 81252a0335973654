"""Schemathesis configuration for a run: the user's options plus what the spec itself says
(headers every request must carry, auth schemes, the error statuses each operation documents)."""

from __future__ import annotations

from typing import Any

from jobs_openapi import HTTP_METHODS
from schemathesis import Config as SchemathesisConfig

from . import checks as _registered  # noqa: F401  (registers our checks with Schemathesis)
from . import semantic as _semantic  # noqa: F401  (registers the semantic checks)
from .options import ALL_PHASES, READ_ONLY_METHODS, OptionsError, RunOptions
from .schemathesis_adapter import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, ConfigError, known_check_names
from .spec_facts import SpecFacts

# Stateful scenarios are cheap and each walks several steps of a lifecycle.
STATEFUL_EXAMPLES_FACTOR = 3


def build_config(options: RunOptions, facts: SpecFacts) -> SchemathesisConfig:
    data: dict[str, Any] = {
        "base-url": options.url,
        "workers": options.workers,
        "request-timeout": options.request_timeout,
        "headers": {**facts.fixed_headers, **_auth_headers(options, facts)},
        "generation": {"max-examples": options.max_examples},
        "phases": _phases_section(options, facts),
        "checks": _checks_section(options),
        "operations": [*_positive_data_statuses(facts), *_read_only_filter(options)],
        # Our redaction removes the token and nothing else; Schemathesis' own would also blank body fields
        # that merely look secret (`{"key": "firstName"}` in a plan).
        "output": {"sanitization": {"enabled": False}},
        "cache": {"enabled": False},
        "max-time": options.max_time,
    }
    if options.seed is not None:
        data["seed"] = options.seed
    if options.max_failures is not None:
        data["max-failures"] = options.max_failures
    try:
        return SchemathesisConfig.from_dict(data)
    except ConfigError as error:
        raise OptionsError(str(error).splitlines()[0]) from None


def _auth_headers(options: RunOptions, facts: SpecFacts) -> dict[str, str]:
    """The token as an explicit `Authorization` header. (Given to Schemathesis as `[auth.openapi]` instead,
    it keeps `ensure_resource_availability` from ever judging a stateful step: measured on 4.32.5.)"""
    if not options.token or not facts.bearer_schemes:
        return {}
    return {"Authorization": f"Bearer {options.token}"}


def _phases_section(options: RunOptions, facts: SpecFacts) -> dict[str, Any]:
    phases: dict[str, Any] = {phase: {"enabled": phase in options.phases} for phase in ALL_PHASES}
    # Negative data is the business of coverage and fuzzing; stateful testing walks job lifecycles, which
    # only valid requests move along.
    phases["stateful"]["generation"] = {
        "mode": "positive",
        "max-examples": options.max_examples * STATEFUL_EXAMPLES_FACTOR,
    }
    if facts.declares_links:
        # The spec's links are the lifecycle; links inferred from every response holding a job id would
        # outnumber them (157 to 14 for Flatfile) and the walk would rarely create a job at all.
        phases["stateful"]["inference"] = {"algorithms": []}
    if options.read_only:
        # The coverage phase would otherwise send undocumented methods (PUT, DELETE, ...) to every path,
        # and job lifecycles are walked by writes.
        phases["coverage"]["unexpected-methods"] = []
        phases["stateful"]["enabled"] = False
    return phases


def _checks_section(options: RunOptions) -> dict[str, Any]:
    known = known_check_names()
    asked = set(options.checks or ()) | set(options.exclude_checks)
    unknown = sorted(asked - known - {"all"})
    if unknown:
        raise OptionsError(f"unknown check {', '.join(unknown)}; known checks: {', '.join(sorted(known))}")
    section: dict[str, Any] = {}
    if options.checks is not None and "all" not in options.checks:
        section["enabled"] = False
        section.update({name: {"enabled": True} for name in options.checks})
    section.update({name: {"enabled": False} for name in options.exclude_checks})
    return section


def _read_only_filter(options: RunOptions) -> list[dict[str, Any]]:
    """With `--read-only`, every operation whose method may change something is switched off."""
    if not options.read_only:
        return []
    writes = sorted({method.upper() for method in HTTP_METHODS} - set(READ_ONLY_METHODS))
    return [{"include-method": method, "enabled": False} for method in writes]


def _positive_data_statuses(facts: SpecFacts) -> list[dict[str, Any]]:
    """Schema-valid input may still be refused for reasons the spec documents (an invalid page token or
    filter, a lifecycle transition the job's status does not allow): the 4xx statuses an operation
    documents are acceptable answers to positive data, so they are never reported as false alarms."""
    return [
        {
            "include-operation-id": operation_id,
            "checks": {
                "positive_data_acceptance": {"expected-statuses": [*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, *codes]}
            },
        }
        for operation_id, codes in facts.documented_client_errors().items()
        if codes
    ]
