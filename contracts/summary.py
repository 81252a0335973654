"""How a run reads in the terminal and in the Markdown summary: what was tested, the findings, the verdict."""

from __future__ import annotations

from collections.abc import Iterator
from textwrap import indent

from .findings import Finding
from .results import ExitCode, RunResult
from .tally import OperationTally, answers_by_class

VERDICTS = {
    ExitCode.CONFORMS: "conforms to the spec",
    ExitCode.VIOLATIONS: "VIOLATES the spec",
    ExitCode.PROBLEM: "could not be checked",
}


def finding_lines(index: int, finding: Finding) -> Iterator[str]:
    yield f"{index}. {finding.operation} — check `{finding.check}`: {finding.title}"
    yield indent(finding.expected_vs_seen or "(no details)", "     ")
    if finding.status is not None:
        yield f"     Seen: HTTP {finding.status}" + (f" {finding.body_excerpt}" if finding.body_excerpt else "")
    if finding.curl:
        yield "     Reproduce:"
        yield indent(finding.curl, "       ")
    if finding.read_curls:
        yield "     Then the read(s) that contradict it:"
        yield from (indent(curl, "       ") for curl in finding.read_curls)


def tested_line(result: RunResult) -> str:
    """What the run tested: operations exercised / selected, requests sent, answers by status class."""
    operations = result.operations
    exercised = sum(operation.exercised for operation in operations)
    requests = sum(operation.requests for operation in operations)
    answers = " · ".join(f"{name} {count:,}" for name, count in answers_by_class(operations).items()) or "none"
    return (
        f"Tested: {exercised}/{len(operations)} operations exercised, {requests:,} requests sent; answers: {answers}."
    )


def coverage_lines(result: RunResult) -> Iterator[str]:
    """How much of the documented operation × status matrix the run exercised, and the shortfall, if any."""
    report = result.coverage
    if report is not None and report.pairs:
        yield (
            f"Coverage: {report.exercised_pairs}/{report.pairs} documented operation × status pairs exercised"
            f" ({report.percent:.1f} %)."
        )
    if result.coverage_shortfall:
        yield f"Coverage too low: {result.coverage_shortfall}."


def unanswered_lines(result: RunResult) -> Iterator[str]:
    for what, counts in (
        ("timed out", result.unanswered.timeouts),
        ("lost their connection", result.unanswered.connection_errors),
    ):
        if counts:
            where = ", ".join(f"{label} × {count}" for label, count in sorted(counts.items()))
            yield f"{sum(counts.values())} request(s) {what}: {where}."


def not_reached_lines(result: RunResult) -> Iterator[str]:
    """The operations a run that stopped at `--max-failures` never sent a request to."""
    labels = [operation.label for operation in result.not_reached]
    if labels:
        yield f"Not tested before the run stopped at --max-failures {result.failure_limit}: {', '.join(labels)}."


def operation_problem(operation: OperationTally) -> str:
    seen = [f"{count} × {status}" for status, count in sorted(operation.statuses.items())]
    if operation.unanswered:
        seen.append(f"{operation.unanswered} unanswered")
    return f"{operation.label} ({operation.operation_id}) was never really exercised: {', '.join(seen) or 'no request sent'}"


def verdict_line(result: RunResult) -> str:
    budget = "; ".join([f"{result.seconds:.1f} s of a {result.budget} s budget", *result.budget_notes])
    verdict = VERDICTS[result.exit_code]
    if result.exit_code is ExitCode.VIOLATIONS and not result.findings:
        verdict = "was not tested enough: its coverage is below --min-coverage"
    return f"Result: the API {verdict} ({budget})."


def summary_lines(result: RunResult) -> Iterator[str]:
    """The report on stdout; without operations the run never started and only its problem is told."""
    if result.operations:
        yield tested_line(result)
        yield from coverage_lines(result)
        yield from unanswered_lines(result)
        yield from not_reached_lines(result)
        for operation in result.not_exercised:
            yield f"  {operation_problem(operation)}"
        for error in result.errors:
            yield f"  error: {error}"
        if result.findings:
            yield f"{len(result.findings)} contract violation(s):"
            for index, finding in enumerate(result.findings, start=1):
                yield from finding_lines(index, finding)
        yield verdict_line(result)
    if result.problem:
        yield problem_line(result)


def problem_line(result: RunResult) -> str:
    problem = result.problem or ""
    return f"jobs-contract: {problem.rstrip('.')}" + ("" if problem.endswith("?") or problem.endswith(")") else ".")


def markdown(result: RunResult, *, url: str, seed: int) -> str:
    lines = [
        f"# Contract run: {result.api}",
        "",
        f"- Target: `{url}`",
        f"- Seed: `{seed}` (rerun with `--seed {seed}`)",
        f"- {verdict_line(result).removeprefix('Result: ')}",
        f"- Exit code: {int(result.exit_code)}",
    ]
    if result.operations:
        lines.append(f"- {tested_line(result)}")
    lines += [f"- {line}" for line in coverage_lines(result)]
    lines += [f"- {line}" for line in unanswered_lines(result)]
    lines += [f"- {line}" for line in not_reached_lines(result)]
    lines.append("")
    if result.problem:
        lines += [f"**Problem:** {result.problem}", ""]
    lines += [f"- {operation_problem(operation)}" for operation in result.not_exercised]
    lines += [f"- error: {error}" for error in result.errors]
    if not result.findings:
        lines.append("No contract violations found.")
        return "\n".join(lines) + "\n"
    lines += ["## Violations", "", "| # | Operation | Check | Problem |", "|---|---|---|---|"]
    lines += [f"| {i} | `{f.operation}` | `{f.check}` | {f.title} |" for i, f in enumerate(result.findings, start=1)]
    for index, finding in enumerate(result.findings, start=1):
        lines += [
            "",
            f"### {index}. {finding.operation} — `{finding.check}`",
            "",
            "```text",
            finding.expected_vs_seen,
            "```",
        ]
        if finding.status is not None:
            lines += ["", f"Seen: HTTP {finding.status}", "", "```json", finding.body_excerpt, "```"]
        if finding.curl:
            lines += ["", "Reproduce:", "", "```sh", finding.curl, "```"]
        if finding.read_curls:
            lines += ["", "Then the read(s) that contradict it:", "", "```sh", *finding.read_curls, "```"]
    return "\n".join(lines) + "\n"
