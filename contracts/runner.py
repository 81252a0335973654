"""Runs Schemathesis' engine on one API and turns its event stream into a verdict, findings and reports."""

from __future__ import annotations

import math
import random
import re
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

import httpx
import schemathesis
import yaml
from jobs_openapi import spec_path
from schemathesis import BaseSchema
from schemathesis.errors import LoaderError

from .findings import CheckNames, collect
from .options import OptionsError, RunOptions
from .progress import Progress
from .redaction import Redactor
from .reports import ReportWriter
from .results import ExitCode, RunProblem, RunResult
from .schemathesis_adapter import ELASTIC_PHASES, ExecutionContext, PhaseName, StopReason, events, from_schema
from .settings import build_config
from .spec_facts import SpecFacts

REACHABILITY_TIMEOUT = 5.0


def load_spec(api: str) -> tuple[Path, SpecFacts]:
    try:
        path = spec_path(api)
    except FileNotFoundError as error:
        raise RunProblem(str(error)) from None
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise RunProblem(f"cannot read the spec {path}: {str(error).splitlines()[0]}") from None
    if not isinstance(document, dict) or "paths" not in document:
        raise RunProblem(f"{path} is not an OpenAPI document (it has no `paths`)")
    return path, SpecFacts(document)


def ensure_reachable(url: str) -> None:
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

    def options(self, options: RunOptions, *, seed: int, seconds_left: float) -> RunOptions:
        budget = max(1, math.floor(seconds_left * self.share))
        return replace(options, phases=self.phases, seed=seed, max_time=budget)


def _load(path: Path, facts: SpecFacts, options: RunOptions) -> BaseSchema:
    try:
        return schemathesis.openapi.from_path(path, config=build_config(options, facts))
    except LoaderError as error:
        raise RunProblem(f"cannot load the spec {path}: {str(error).splitlines()[0]}") from None


def execute(options: RunOptions, *, stream: TextIO = sys.stderr) -> RunResult:
    """One contract run as the options describe it: every pass, the verdict, the reports."""
    started = time.monotonic()
    deadline = started + options.max_time
    redact = Redactor(options.token)
    seed = options.seed if options.seed is not None else random.getrandbits(32)
    passes = [Pass(tuple(p for p in phases if p in options.phases), share) for phases, share in PASSES]
    passes = [p for p in passes if p.phases]
    try:
        path, facts = load_spec(options.api)
        schema = _load(path, facts, passes[0].options(options, seed=seed, seconds_left=options.max_time))
        ensure_reachable(options.url)
        if options.report_dir is not None:
            prepare_directory(options.report_dir)
    except (RunProblem, OptionsError) as problem:
        return RunResult(exit_code=ExitCode.PROBLEM, problem=redact(str(problem)))

    context = ExecutionContext(config=schema.config)
    names = CheckNames()
    progress = Progress(stream=stream, operations_total=schema.statistic.operations.selected)
    reports = ReportWriter(options.report_dir, redact) if options.report_dir else None
    print(
        f"Testing {options.url} against {path.name}: {progress.operations_total} operations, seed {seed}", file=stream
    )
    within_budget = True
    for index, step in enumerate(passes):
        if index:
            seconds_left = deadline - time.monotonic()
            if seconds_left < 1:
                within_budget = False
                break
            schema = _load(path, facts, step.options(options, seed=seed, seconds_left=seconds_left))
        one_pass = _drive(schema, context, names, progress, reports)
        within_budget = within_budget and context.stop_reason is not StopReason.MAX_TIME
        if context.stop_reason not in (StopReason.COMPLETED, StopReason.MAX_TIME) and not one_pass.stopped:
            break  # interrupted, or the server went away
    stop = context.stop_reason
    if stop in (StopReason.COMPLETED, StopReason.INTERRUPTED) and one_pass.stopped:
        stop = StopReason.COMPLETED
    if stop is StopReason.COMPLETED and not within_budget:
        stop = StopReason.MAX_TIME
    result = _verdict(context, names, redact, stop=stop)
    result.seconds = time.monotonic() - started
    if reports is not None:
        reports.finish(context, result, options, seed=seed)
    return result


def _drive(
    schema: BaseSchema, context: ExecutionContext, names: CheckNames, progress: Progress, reports: ReportWriter | None
) -> OnePass:
    """One engine pass; every event goes to Schemathesis' own bookkeeping first, then to ours."""
    engine = from_schema(schema).execute()
    one_pass = OnePass()
    for event in engine:
        if one_pass.is_over(event):
            engine.stop()
        context.on_event(event)
        names.handle_event(event)
        if not one_pass.stopped:
            progress.handle_event(event, context.statistic)
        if reports is not None:
            reports.handle_event(context, event)
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


def _verdict(context: ExecutionContext, names: CheckNames, redact: Redactor, *, stop: StopReason) -> RunResult:
    findings = collect(context.statistic, names, redact)
    errors = sorted(
        {redact(f"{error.label}: {error.info.title}: {error.info.message}".strip()) for error in context.errors}
    )
    if stop is StopReason.SERVER_UNAVAILABLE and not findings:
        return RunResult(
            ExitCode.PROBLEM,
            problem="the target stopped responding during the run",
            errors=errors,
            stop_reason=stop.value,
        )
    if findings:
        return RunResult(ExitCode.VIOLATIONS, findings=findings, errors=errors, stop_reason=stop.value)
    if errors:
        return RunResult(
            ExitCode.PROBLEM,
            problem=f"the run hit {len(errors)} error(s) and could not test everything",
            errors=errors,
            stop_reason=stop.value,
        )
    return RunResult(ExitCode.CONFORMS, stop_reason=stop.value)
