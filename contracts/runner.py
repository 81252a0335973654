"""Runs Schemathesis' engine on one API and turns its event stream into a verdict, findings and reports."""

from __future__ import annotations

import math
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO
from urllib.parse import urlparse

import httpx
import schemathesis
import yaml
from jobs_openapi import BUNDLED, SpecError, read_document, spec_path
from jobs_openapi.validation import check_spec
from pyrate_limiter import Limiter
from schemathesis import BaseSchema
from schemathesis.errors import LoaderError

from mock_server.coverage import CoverageReport

from .findings import CheckNames, collect
from .options import OptionsError, RunOptions
from .phases import PassRecord
from .progress import Progress
from .rate_limit import build_limiter
from .redaction import Redactor
from .reports import write_reports
from .results import ExitCode, RunProblem, RunResult
from .run_coverage import RunCoverage, documented_operation
from .schemathesis_adapter import (
    ELASTIC_PHASES,
    Capabilities,
    ExecutionContext,
    PhaseName,
    StopReason,
    adapt_to,
    events,
    operations_of,
    probe_capabilities,
    serialize_ast_parsing,
    start_engine,
    use_rate_limiter,
)
from .semantic import forget_walks
from .settings import build_config
from .spec_facts import SpecFacts
from .tally import OperationTally, RunTally, why_not_exercised

REACHABILITY_TIMEOUT = 5.0


def load_spec(api: str) -> tuple[Path, SpecFacts, list[str]]:
    """Where the spec is, what the run needs to know of it, and the warnings about a spec of the user's (a spec
    the run cannot use is a `RunProblem` or a `SpecError`)."""
    try:
        path = spec_path(api)
    except FileNotFoundError as error:
        raise RunProblem(str(error)) from None
    try:
        document = read_document(path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise RunProblem(f"cannot read the spec {path}: {str(error).splitlines()[0]}") from None
    if not isinstance(document, dict) or "paths" not in document:
        raise RunProblem(f"{path} is not an OpenAPI document (it has no `paths`)")
    warnings: list[str] = []
    if api not in BUNDLED:
        document, warnings = check_spec(document, path)
    return path, SpecFacts(document, source=path), warnings


def ensure_reachable(url: str, *, wait: Callable[[], None]) -> None:
    wait()
    try:
        httpx.head(url, timeout=REACHABILITY_TIMEOUT)
    except httpx.HTTPError as error:
        reason = re.sub(r"(?<!^)(?=[A-Z])", " ", type(error).__name__).lower()
        raise RunProblem(f"cannot reach {url} ({reason}): is the server running, and is --url right?") from None


# Deterministic phases enumerate the schema and can send thousands of cases for one deep request body;
# generative phases stop at `--max-examples`. Each group runs as its own engine pass with its own share
# of the budget, so enumeration can never starve fuzzing and stateful testing.
PASSES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("examples", "coverage"), 1 / 3),
    (("stateful",), 1 / 2),
    (("fuzzing",), 1.0),
)


@dataclass
class Pass:
    phases: tuple[str, ...]
    share: float
    budget: int = 0

    @property
    def name(self) -> str:
        return "+".join(self.phases)

    def options(self, options: RunOptions, *, seed: int, seconds_left: float, failures_found: int = 0) -> RunOptions:
        """The pass's options: its share of the time left, and what is left of `--max-failures`."""
        self.budget = max(1, math.floor(seconds_left * self.share))
        failures_left = None if options.max_failures is None else options.max_failures - failures_found
        return replace(options, phases=self.phases, seed=seed, max_time=self.budget, max_failures=failures_left)


def _load(path: Path, facts: SpecFacts, options: RunOptions, limiter: Limiter | None) -> BaseSchema:
    try:
        schema = schemathesis.openapi.from_path(path, config=build_config(options, facts))
    except LoaderError as error:
        raise RunProblem(f"cannot load the spec {path}: {str(error).splitlines()[0]}") from None
    if limiter is not None:
        use_rate_limiter(schema, limiter)
    return schema


def _waiter(limiter: Limiter | None, url: str) -> Callable[[], None]:
    """Waits for the rate limit before a request the engine does not send itself (probes)."""
    # Schemathesis keys its limiter by the target's host:port; sharing the key shares the allowance.
    key = urlparse(url).netloc

    def wait() -> None:
        if limiter is not None:
            limiter.try_acquire(key)

    return wait


def execute(options: RunOptions, *, stream: TextIO = sys.stderr) -> RunResult:
    """One contract run as the options describe it: every pass, the verdict, the reports."""
    started = time.monotonic()
    deadline = started + options.max_time
    redact = Redactor(options.token)
    seed = options.seed if options.seed is not None else random.getrandbits(32)
    passes = [Pass(tuple(p for p in phases if p in options.phases), share) for phases, share in PASSES]
    passes = [p for p in passes if p.phases]
    passes[-1].share = 1.0  # shares are of the time left: whichever pass runs last gets all of it
    serialize_ast_parsing()
    forget_walks()
    limiter = build_limiter(options.rate_limit) if options.rate_limit else None
    wait = _waiter(limiter, options.url)
    try:
        path, facts, warnings = load_spec(options.api)
        for warning in warnings:
            print(f"jobs-contract: warning: {warning}", file=stream)
        schema = _load(path, facts, passes[0].options(options, seed=seed, seconds_left=options.max_time), limiter)
        ensure_reachable(options.url, wait=wait)
        if options.report_dir is not None:
            prepare_directory(options.report_dir)
    except (RunProblem, OptionsError, SpecError) as problem:
        return RunResult(exit_code=ExitCode.PROBLEM, api=options.api, problem=redact(str(problem)))

    # A read-only run sends the spec's own operations and nothing else, so no probe: it assumes the cautious
    # answers (no NULL bytes in headers, no control characters in paths), which production front ends enforce.
    capabilities = Capabilities() if options.read_only else probe_capabilities(schema, before_each=wait)
    context = ExecutionContext(config=schema.config)
    names = CheckNames()
    tally = RunTally(selected_operations(schema))
    api_name = options.api if options.api in BUNDLED else path.stem
    coverage = RunCoverage([documented_operation(api_name, operation) for operation in operations_of(schema)])
    progress = Progress(stream=stream, operations_total=len(tally.operations))
    print(
        f"Testing {options.url} against {path.name}: {progress.operations_total} operations, seed {seed}", file=stream
    )
    budget_notes = []
    records: list[PassRecord] = []
    failure_limit = None
    for index, step in enumerate(passes):
        if index:
            seconds_left = deadline - time.monotonic()
            if seconds_left < 1:
                budget_notes.append(f"the {step.name} pass did not start, no time left of the {options.max_time} s")
                break
            found = context.statistic.total_failures
            schema = _load(
                path, facts, step.options(options, seed=seed, seconds_left=seconds_left, failures_found=found), limiter
            )
        adapt_to(schema, capabilities)
        record = PassRecord(step.name, step.budget)
        records.append(record)
        pass_started = time.monotonic()
        handlers = (names.handle_event, tally.handle_event, coverage.handle_event, record.handle_event)
        one_pass = _drive(schema, context, handlers, progress)
        record.seconds = time.monotonic() - pass_started
        if context.stop_reason is StopReason.MAX_TIME and not one_pass.stopped:
            budget_notes.append(f"the {step.name} pass used all of its share ({step.budget} of {options.max_time} s)")
        if _reached_failure_limit(context, options):
            failure_limit = options.max_failures
            budget_notes.append(_stopped_at_limit(options, passes[index + 1 :]))
            break
        if context.stop_reason not in (StopReason.COMPLETED, StopReason.MAX_TIME) and not one_pass.stopped:
            break  # interrupted, or the server went away
    result = _verdict(
        context,
        names,
        redact,
        tally,
        coverage.coverage.report(),
        options,
        base_path=_base_path(schema),
        failure_limit=failure_limit,
    )
    result.budget_notes = budget_notes
    result.passes = records
    result.seconds = time.monotonic() - started
    if options.report_dir is not None:
        write_reports(options.report_dir, result, options, seed=seed, redact=redact)
    return result


def _reached_failure_limit(context: ExecutionContext, options: RunOptions) -> bool:
    """Whether the pass just run spent `--max-failures`: its engine stopped at the limit, or its failures reach it."""
    if options.max_failures is None:
        return False
    return context.stop_reason is StopReason.FAILURE_LIMIT or context.statistic.total_failures >= options.max_failures


def _stopped_at_limit(options: RunOptions, skipped: list[Pass]) -> str:
    note = f"stopped at --max-failures {options.max_failures}"
    if not skipped:
        return note
    names = " and ".join(step.name for step in skipped)
    return f"{note}, so the {names} pass{'es' if len(skipped) > 1 else ''} did not run"


def selected_operations(schema: BaseSchema) -> list[OperationTally]:
    """The operations the run selects (`--read-only` filters them), each with an empty tally."""
    selected = []
    for operation in operations_of(schema):
        raw = operation.definition.raw
        selected.append(
            OperationTally(
                label=operation.label,
                operation_id=raw.get("operationId", operation.label),
                may_be_not_found="{" in operation.path and "404" in map(str, raw.get("responses", {})),
            )
        )
    return selected


def _base_path(schema: BaseSchema) -> str:
    servers = schema.raw_schema.get("servers") or [{}]
    return urlparse(str(servers[0].get("url", ""))).path.rstrip("/")


def _drive(
    schema: BaseSchema,
    context: ExecutionContext,
    handlers: tuple[Callable[[events.EngineEvent], None], ...],
    progress: Progress,
) -> OnePass:
    """One engine pass; every event goes to Schemathesis' own bookkeeping first, then to ours."""
    engine = start_engine(schema)
    one_pass = OnePass()
    for event in engine:
        if one_pass.is_over(event):
            engine.stop()
        context.on_event(event)
        for handle in handlers:
            handle(event)
        if not one_pass.stopped:
            progress.handle_event(event, context.statistic)
    return one_pass


def prepare_directory(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunProblem(f"cannot write reports to {directory}: {error.strerror or error}") from None


class OnePass:
    """Ends an engine pass once each of its phases has run once.

    Under a time budget Schemathesis repeats fuzzing and stateful testing until the budget is spent; a
    contract run ends when its pass is done, so the budget is a ceiling (each operation getting its fair
    share of it from the engine), not a duration.
    """

    def __init__(self) -> None:
        self.started: set[PhaseName] = set()
        self.stopped = False

    def is_over(self, event: events.EngineEvent) -> bool:
        if not isinstance(event, events.PhaseStarted) or event.phase.name not in ELASTIC_PHASES or self.stopped:
            return False
        if event.phase.name in self.started:
            self.stopped = True
        self.started.add(event.phase.name)
        return self.stopped


def _verdict(
    context: ExecutionContext,
    names: CheckNames,
    redact: Redactor,
    tally: RunTally,
    coverage: CoverageReport,
    options: RunOptions,
    *,
    base_path: str,
    failure_limit: int | None,
) -> RunResult:
    result = RunResult(
        exit_code=ExitCode.CONFORMS,
        api=options.api,
        failure_limit=failure_limit,
        findings=collect(context.statistic, names, redact),
        errors=sorted(
            {redact(f"{error.label}: {error.info.title}: {error.info.message}".strip()) for error in context.errors}
        ),
        operations=tally.operations,
        unanswered=tally.unanswered,
        budget=options.max_time,
        coverage=coverage,
        cases=context.statistic.total_cases,
    )
    if options.min_coverage is not None and coverage.percent < options.min_coverage:
        result.coverage_shortfall = (
            f"{coverage.percent:.1f} % of the documented operation × status pairs were exercised "
            f"({coverage.exercised_pairs} of {coverage.pairs}), below --min-coverage {options.min_coverage:g}; "
            f"never exercised: {', '.join(coverage.missed)}"
        )
    missed = result.not_exercised
    if missed:
        cause = why_not_exercised(
            missed, tally.unanswered, base_path=base_path, request_timeout=options.request_timeout
        )
        result.problem = f"{len(missed)} of {len(result.operations)} operations were never really exercised: {cause}"
    elif context.stop_reason is StopReason.SERVER_UNAVAILABLE and not result.findings:
        result.problem = "the target stopped responding during the run"
    elif result.errors and not result.findings:
        result.problem = f"the run hit {len(result.errors)} error(s) and could not test everything"
    if result.problem:
        result.exit_code = ExitCode.PROBLEM
    elif result.findings or result.coverage_shortfall:
        result.exit_code = ExitCode.VIOLATIONS
    return result
